/**
 * How a prompt reaches the model: raw (BOS + text, as the bundled model was trained) or rendered
 * through the model's chat template as one user turn, after an optional system message, with the
 * assistant's turn opened (add_generation_prompt). The choice wraps the model, so every feature
 * that encodes a prompt (compare, risk, explorer, JSON routes, prompt tests) follows it.
 */
import { PromptError } from './errors';
import type { CausalLM, ChatMessage } from './types';

export interface PromptFormat {
  /** true: the chat template; false: raw; undefined: the template when the model has one. */
  chat?: boolean;
  /** A system message before the prompt (chat only). */
  system?: string;
}

/** Whether a run on `model` with `format` goes through the chat template; an error when asked for one the model lacks. */
export function usesChat(model: CausalLM, format: PromptFormat): boolean {
  if (format.chat === true && !model.hasChatTemplate) {
    throw new PromptError(`${model.name} has no chat template (no chat_template in tokenizer_config.json, no chat_template.jinja). Run it raw: turn chat off (--raw, chat: false).`);
  }
  return format.chat ?? model.hasChatTemplate === true;
}

export function chatMessages(prompt: string, system?: string): ChatMessage[] {
  return system && system.trim() ? [{ role: 'system', content: system }, { role: 'user', content: prompt }] : [{ role: 'user', content: prompt }];
}

/** `model` with its prompts rendered per `format`; the model itself when that is raw. */
export function withPromptFormat(model: CausalLM, format: PromptFormat): CausalLM {
  if (!usesChat(model, format)) return model;
  const system = format.system;
  const render = (text: string) => model.renderChat!(chatMessages(text, system));
  // Delegate every member to the model, except how a prompt becomes text and ids.
  return new Proxy(model, {
    get(target, key, receiver) {
      if (key === 'renderPrompt') return render;
      if (key === 'encodePrompt') return (text: string) => target.encode(render(text));
      if (key === 'promptFormat') return 'chat';
      const value = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * Prompt test cases on an endpoint (a suite's `model: endpoint:NAME`, or samplingLab.model naming
 * one): which endpoint, and whether it may be used. A suite is workspace content: in Restricted
 * Mode nothing is sent, and the endpoint must be one of the user's own (samplingLab.endpoints is
 * read from user settings only). The cases then run on its engine in this host
 * (engineCases.ts), side by side up to samplingLab.endpointConcurrency.
 */
import * as vscode from 'vscode';
import type { Engine } from '../../core/engine/types';
import { suiteEndpointName } from '../../core/prompttest';
import { engineIdentity } from '../../node/promptTestRunner';
import type { EndpointSetting } from '../endpoints';
import { abortSignalOf } from '../requests';
import { SECTION, SettingsError } from '../settings';
import { untrustedReason } from '../workspaceTrust';
import type { CaseOutcomes } from './caseOutcomes';
import { casesNotOpened, CasesNotRun, runCasesOnEngine, type CasesEngine, type EngineCaseDeps, type ModelGroup } from './engineCases';

export type { ModelGroup } from './engineCases';

export interface EndpointCaseDeps extends EngineCaseDeps {
  trusted(): boolean;
  /** The user's endpoints (user settings only). */
  endpoints(): EndpointSetting[];
  /** The endpoint samplingLab.model selects, under its own rules (a workspace value is refused). */
  selected(model: string): EndpointSetting;
  open(endpoint: EndpointSetting, signal: AbortSignal): Promise<Engine>;
  /** Cases in flight at once (samplingLab.endpointConcurrency). */
  concurrency(): number;
}

/** The endpoint a suite's `model: endpoint:NAME` names, among the user's; unknown: which there are, and how to add one. */
export function suiteEndpoint(model: string, endpoints: readonly EndpointSetting[]): EndpointSetting {
  const name = suiteEndpointName(model) ?? '';
  const found = endpoints.find((e) => e.name === name);
  if (found) return found;
  const known = endpoints.length > 0 ? `Your user settings list: ${endpoints.map((e) => e.name).join(', ')}.` : 'Your user settings list no endpoints.';
  throw new SettingsError(
    `This suite's model is "${model}", but ${SECTION}.endpoints has no endpoint named "${name}". ${known} Add it with Sampling Lab: Add Endpoint… (endpoints come from your user settings only), or fix the name in the suite.`,
    `${SECTION}.endpoints`,
  );
}

/** Why nothing of a suite goes to an endpoint in Restricted Mode, and how to proceed. */
export function untrustedEndpointReason(name: string): string {
  return `Nothing was sent. ${untrustedReason(`sends a suite's prompts to endpoint ${name}`)}`;
}

/**
 * The endpoint a group of cases names, opened: in Restricted Mode nothing is opened, and a
 * suite's NAME is looked up among the user's own endpoints. Throws CasesNotRun with the reason
 * each case gives; a cancelled open throws the open's own error.
 */
export async function openEndpointCases(group: ModelGroup, token: vscode.CancellationToken, deps: EndpointCaseDeps): Promise<CasesEngine> {
  const name = suiteEndpointName(group.model) ?? group.model;
  if (!deps.trusted()) throw new CasesNotRun(untrustedEndpointReason(name));
  let endpoint: EndpointSetting;
  try {
    endpoint = group.fromSuite ? suiteEndpoint(group.model, deps.endpoints()) : deps.selected(group.model);
  } catch (e) {
    throw new CasesNotRun((e as Error).message);
  }
  const opening = abortSignalOf(token);
  try {
    const engine = await deps.open(endpoint, opening.signal);
    return { engine, name: `endpoint ${endpoint.name}`, label: `endpoint ${endpoint.name} (${engine.model}, ${engine.where})`, identity: engineIdentity(engine, endpoint.baseUrl), concurrency: deps.concurrency() };
  } catch (e) {
    if (token.isCancellationRequested) throw e;
    throw new CasesNotRun(`Endpoint ${endpoint.name} (${endpoint.baseUrl}) could not be opened: ${(e as Error).message}`);
  } finally {
    opening.dispose();
  }
}

/** An endpoint's cases: opened (each case errored with the reason when it cannot be), then run on its engine. */
export async function runCasesOnEndpoint(group: ModelGroup, out: CaseOutcomes, token: vscode.CancellationToken, deps: EndpointCaseDeps): Promise<void> {
  let opened: CasesEngine;
  try {
    opened = await openEndpointCases(group, token, deps);
  } catch (e) {
    return casesNotOpened(group, out, e, token);
  }
  await runCasesOnEngine(group, opened, out, token, deps);
}

/**
 * Writes the strategy settings schema derived from the stage registry into package.json
 * (samplingLab.strategies.items) and media/prompttest.schema.json (both `settings:` objects).
 * Run after adding or changing a stage: node -r ./test/support/register.cjs tools/samplers/writeSchemas.ts
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { defaultOrderText, strategySettingsSchema } from '../../src/core/decode/settingsSchema';

const root = path.resolve(__dirname, '..', '..');
const write = (file: string, edit: (json: Record<string, any>) => void) => {
  const full = path.join(root, file);
  const json = JSON.parse(fs.readFileSync(full, 'utf8'));
  edit(json);
  fs.writeFileSync(full, `${JSON.stringify(json, null, 2)}\n`);
};

const schema = strategySettingsSchema();
write('package.json', (pkg) => {
  const strategies = pkg.contributes.configuration.properties['samplingLab.strategies'];
  strategies.items = schema;
  strategies.markdownDescription = `The strategies compared side by side, each a preset of the sampler chain with its parameters. \`order\` sets the chain order (default: ${defaultOrderText()}).`;
});
write('media/prompttest.schema.json', (suite) => {
  const withDescription = (old: { description?: string }) => ({ description: old.description, ...schema });
  suite.properties.defaults.properties.settings = withDescription(suite.properties.defaults.properties.settings);
  suite.properties.cases.items.properties.settings = withDescription(suite.properties.cases.items.properties.settings);
});

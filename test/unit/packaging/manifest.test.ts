/** Small manifest and dialog details of issue 16: the Preferences view starts collapsed, dialogs keep JSON indentation. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEVICE_PREFERENCES } from '../../../src/core/model/backends';
import { dialogText } from '../../../src/extension/dialogText';

const REPO = path.resolve(__dirname, '..', '..', '..');
const manifest = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));

describe('manifest and dialog details', () => {
  it('the Preferences view starts collapsed, leaving the side bar to the Strategies cards', () => {
    const views = manifest.contributes.views.samplingLab as { id: string; visibility?: string }[];
    assert.equal(views.find((v) => v.id === 'samplingLab.preferences')?.visibility, 'collapsed');
    assert.notEqual(views.find((v) => v.id === 'samplingLab.panel')?.visibility, 'collapsed');
  });

  it('the activity-bar icon is its own SVG, not the flask the Testing view also shows', () => {
    const icon = manifest.contributes.viewsContainers.activitybar[0].icon as string;
    const svg = fs.readFileSync(path.join(REPO, icon), 'utf8');
    assert.match(svg, /^<svg [^>]*viewBox="0 0 24 24"/);
    // The flask's outline (neck and body) that the old icon drew.
    assert.doesNotMatch(svg, /M9 3h6M10 3v5L4\.5 18\.5/);
  });

  it("samplingLab.device offers core's backend list (core/model/backends.ts), in the order auto tries them", () => {
    const properties = manifest.contributes.configuration.properties ?? Object.assign({}, ...manifest.contributes.configuration.map((c: { properties: object }) => c.properties));
    assert.deepEqual(properties['samplingLab.device'].enum, DEVICE_PREFERENCES);
  });

  it('JSON in a dialog keeps its indentation as non-breaking spaces, and is cut when long', () => {
    const json = JSON.stringify({ type: 'object', properties: { name: { type: 'string' } } }, null, 2);
    const shown = dialogText(json);
    assert.equal(shown.replace(/\u00a0/g, ' '), json, 'the same text once the spaces are read back');
    assert.match(shown, /^\u00a0{4}"name": \{$/m);
    assert.ok(!/^ /m.test(shown), 'no line starts with a plain space');
    assert.ok(dialogText('x'.repeat(3000)).endsWith('\n…'));
  });
});

/** `sampling-lab risk` and `risk calibrate` (dist/cli.js) as a user runs them, on the real bundled model. */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { splitHalves } from '../../tools/eval/facts';
import { cityQuestion, MODEL_DIR, REPO, world } from '../support/model';
import { writeTinyNli } from '../support/tinyNli';

const CLI = path.join(REPO, 'dist', 'cli.js');

describe('sampling-lab risk', function () {
  this.timeout(300_000);
  // Each test gets its own calibration folder, so a stored calibration never leaks between tests.
  let cacheDir: string;
  const run = (args: string[], input?: string) => {
    const r = spawnSync(process.execPath, [CLI, ...args], { input, encoding: 'utf8', timeout: 240_000, env: { ...process.env, SAMPLING_LAB_CACHE: cacheDir } });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  beforeEach(() => {
    cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-risk-'));
  });

  // The evaluation halves: people facts-lm's shipped calibration was not fitted on.
  const known = splitHalves(world('known'), 2024).evaluation;
  const heldout = splitHalves(world('heldout'), 2025).evaluation;

  it('prints the band under facts-lm\'s own calibration, the score, the parts and the clusters', () => {
    const r = run(['risk', cityQuestion(known[0]!.name)]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /risk {6}0\.\d{3} {2}Low {2}\(calibrated for facts-lm/);
    assert.match(r.stdout, /parts {5}disagreement 0\.00 · entropy 0\.00 · unbacked 0\.\d\d · low confidence 0\.\d\d · weakest token 0\.\d\d/);
    assert.match(r.stdout, new RegExp(`clusters  8 × "${known[0]!.city}\\." \\(main\\)`));
  });

  it('reads one question per line from --file, gives JSON, and exits 1 when a risk is above --fail-above', () => {
    const file = path.join(cacheDir, 'questions.txt');
    // One line per question: a typed \n is the line break inside the prompt.
    fs.writeFileSync(file, [known[1]!, heldout[0]!].map((p) => cityQuestion(p.name).replace('\n', '\\n')).join('\n') + '\n');
    const r = run(['risk', '--json', '--fail-above', '0.5', '--file', file]);
    assert.equal(r.code, 1, `expected exit 1 above the threshold; stderr: ${r.stderr}`);
    const out = JSON.parse(r.stdout);
    assert.equal(out.calibration.model, 'facts-lm');
    assert.equal(out.results.length, 2);
    const [k, h] = out.results;
    assert.equal(k.prompt, cityQuestion(known[1]!.name));
    assert.ok(k.risk <= 0.5, `known person risk ${k.risk}`);
    assert.equal(h.band, 'High', `held-out person: ${h.explanation}`);
    assert.ok(h.risk > 0.5);
    assert.equal(k.samples.length, 8);
    assert.deepEqual(Object.keys(k.parts), ['disagreement', 'entropy', 'unbacked', 'lowConfidence', 'weakestToken']);
    // Samples of different prompts draw from different seeds (sequenceSeed of seed, prompt, index).
    assert.notDeepEqual(k.seeds, h.seeds);
    assert.equal(new Set(k.seeds).size, 8);
    // Under the threshold of every answer, the exit is 0.
    assert.equal(run(['risk', '--fail-above', '1', '--file', file]).code, 0);
  });

  it('reads stdin, and with --uncalibrated shows the raw parts and the word, no band', () => {
    const r = run(['risk', '--uncalibrated', '--samples', '4'], cityQuestion(heldout[1]!.name).replace('\n', '\\n') + '\n');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /risk {6}0\.\d{3} {2}uncalibrated {2}\(--uncalibrated/);
    assert.doesNotMatch(r.stdout, /\b(Low|Medium|High)\b/);
    assert.match(r.stdout, /clusters  /);
  });

  it('calibrates a model from a labelled JSONL file, stores it by fingerprint, and uses it; another model stays uncalibrated', () => {
    const set = path.join(cacheDir, 'set.jsonl');
    const lines = [
      ...known.slice(2, 10).map((p) => JSON.stringify({ question: cityQuestion(p.name), answers: [p.city] })),
      ...heldout.slice(2, 10).map((p) => JSON.stringify({ question: cityQuestion(p.name), answerable: false })),
    ];
    fs.writeFileSync(set, lines.join('\n') + '\n');
    const fit = run(['risk', 'calibrate', '--samples', '6', set]);
    assert.equal(fit.code, 0, fit.stderr);
    assert.match(fit.stdout, /Calibrated facts-lm on 16 questions \(8 wrong, 8 right\)\./);
    assert.match(fit.stdout, /^combined +\d\.\d{3}/m);
    const stored = fs.readdirSync(path.join(cacheDir, 'risk-calibration'));
    assert.equal(stored.length, 1);
    assert.match(stored[0]!, /^sha256_[0-9a-f]{32}\.json$/);

    // The check now reads the new calibration, and samples as it was fitted (6 samples).
    const used = JSON.parse(run(['risk', '--json', cityQuestion(known[0]!.name)]).stdout);
    assert.equal(used.settings.samples, 6);
    assert.equal(used.results[0].samples.length, 6);
    assert.ok(['Low', 'Medium', 'High'].includes(used.results[0].band));

    // A different model (the same weights under another config) has another fingerprint: no bands.
    const other = path.join(cacheDir, 'other-model');
    fs.cpSync(MODEL_DIR, other, { recursive: true });
    const config = JSON.parse(fs.readFileSync(path.join(other, 'config.json'), 'utf8'));
    fs.writeFileSync(path.join(other, 'config.json'), JSON.stringify({ ...config, _name_or_path: 'a-different-model' }));
    const foreign = JSON.parse(run(['risk', '--json', '--model', other, cityQuestion(known[0]!.name)]).stdout);
    assert.equal(foreign.calibration, null);
    assert.equal(foreign.results[0].band, 'uncalibrated');
    assert.equal(foreign.results[0].calibrated, false);
  });

  it('--agreement nli clusters with a user-picked NLI cross-encoder (generated at test time); --agreement without its model is a usage error', () => {
    const nli = writeTinyNli(cacheDir);
    const r = run(['risk', '--json', '--uncalibrated', '--agreement', 'nli', '--nli-model', nli, cityQuestion(heldout[3]!.name)]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.agreement, 'nli');
    const res = out.results[0];
    // The tiny model entails exactly when two answers share a word (test/support/tinyNli.ts): its
    // vocabulary has no facts-lm city, so only identical answers share a cluster.
    const distinct = new Set(res.samples.map((t: string) => t.trim()));
    assert.equal(res.clusters.length, distinct.size);
    assert.equal(res.mainCluster >= 0, distinct.has(res.answer.trim()));
    const missing = run(['risk', '--agreement', 'nli', 'Q: x?']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--agreement nli needs --nli-model DIR/);
  });

  it('names the line of a bad labelled file, and refuses a threshold outside [0, 1], with exit 2', () => {
    const set = path.join(cacheDir, 'bad.jsonl');
    fs.writeFileSync(set, `${JSON.stringify({ question: 'Q: x?\nA:', answers: ['y'] })}\n{"question": "Q: z?", "answer": ""}\n`);
    const bad = run(['risk', 'calibrate', set]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /bad\.jsonl:2: "answers" must be a list of non-empty strings/);
    const threshold = run(['risk', '--fail-above', '2', 'Q: x?']);
    assert.equal(threshold.code, 2);
    assert.match(threshold.stderr, /--fail-above must be in \[0, 1\] \(got 2\)/);
  });
});

/**
 * Where per-model risk calibrations live: one JSON file per model fingerprint in a folder (the
 * extension's global storage, or the CLI's cache folder), plus facts-lm's, shipped with it. A
 * model without one is uncalibrated: another model's calibration is never used.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CalibrationError, checkCalibration, FACTS_LM_CALIBRATION, type Calibration } from '../core/consistency';

/** The CLI's folder: $SAMPLING_LAB_CACHE, else $XDG_CACHE_HOME/sampling-lab, else ~/.cache/sampling-lab; then risk-calibration/. */
export function cliCalibrationDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.SAMPLING_LAB_CACHE || path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'sampling-lab');
  return path.join(base, 'risk-calibration');
}

export class CalibrationStore {
  constructor(readonly dir: string) {}

  fileFor(fingerprint: string): string {
    return path.join(this.dir, `${fingerprint.replace(/[^A-Za-z0-9_-]/g, '_')}.json`);
  }

  /**
   * The model's own calibration: the stored one, else the shipped one when its fingerprint is the
   * model's, else undefined. A stored file that is unreadable or for another model is an error
   * naming the file, not a silent fallback.
   */
  get(fingerprint: string): Calibration | undefined {
    const file = this.fileFor(fingerprint);
    if (fs.existsSync(file)) {
      let parsed: Calibration;
      try {
        parsed = checkCalibration(JSON.parse(fs.readFileSync(file, 'utf8')) as Calibration);
      } catch (e) {
        throw new CalibrationError(`${file}: ${(e as Error).message} Delete the file or calibrate the model again.`);
      }
      if (parsed.model.fingerprint !== fingerprint) {
        throw new CalibrationError(`${file} is for model ${parsed.model.fingerprint}, not ${fingerprint}. Delete the file or calibrate the model again.`);
      }
      return parsed;
    }
    return FACTS_LM_CALIBRATION.model.fingerprint === fingerprint ? FACTS_LM_CALIBRATION : undefined;
  }

  /** Saves atomically (temp file, then rename) and returns the file. */
  save(calibration: Calibration): string {
    checkCalibration(calibration);
    fs.mkdirSync(this.dir, { recursive: true });
    const file = this.fileFor(calibration.model.fingerprint);
    const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
    fs.writeFileSync(temp, JSON.stringify(calibration, null, 2) + '\n');
    fs.renameSync(temp, file);
    return file;
  }
}

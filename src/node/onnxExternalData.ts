/**
 * The external data files of an ONNX graph on disk: which files it names (read through positional
 * reads, never the whole graph) and whether each is there and as long as the graph says, with
 * errors that name the file. Used by the loaders' folder checks and by the hub downloader.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ModelLoadError } from '../core/model/errors';
import { checkExternalLocation, ExternalDataError, externalDataRefs, type ExternalDataRef } from '../core/model/externalData';

/**
 * The external data files the graph at `onnxPath` names (read without loading its weights), each
 * checked to be a plain file name beside it; a ModelLoadError naming the graph when it cannot be read.
 */
export function readExternalDataRefs(onnxPath: string): ExternalDataRef[] {
  const fd = fs.openSync(onnxPath, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const read = (offset: number, length: number) => {
      const buffer = Buffer.alloc(Math.max(0, Math.min(length, size - offset)));
      fs.readSync(fd, buffer, 0, buffer.length, offset);
      return buffer;
    };
    const refs = externalDataRefs(read, size);
    for (const ref of refs) checkExternalLocation(ref.location, onnxPath);
    return refs;
  } catch (e) {
    if (e instanceof ExternalDataError) throw new ModelLoadError(`${onnxPath} is not a readable ONNX graph (${e.message}). Restore the file or pull the model again.`, onnxPath);
    throw e;
  } finally {
    fs.closeSync(fd);
  }
}

/** Throws a ModelLoadError naming the first external data file of the graph that is missing or shorter than the graph says. */
export function checkExternalData(onnxPath: string, fix: string): void {
  for (const ref of readExternalDataRefs(onnxPath)) {
    const file = path.join(path.dirname(onnxPath), ...ref.location.split('/'));
    const size = fs.statSync(file, { throwIfNoEntry: false })?.size;
    if (size === undefined) {
      throw new ModelLoadError(`${path.basename(onnxPath)} keeps its weights in ${ref.location}, which is missing (${file}). ${fix}`, file);
    }
    if (size < ref.minBytes) {
      throw new ModelLoadError(`${file} is truncated: ${size} bytes, but ${path.basename(onnxPath)} reads ${ref.minBytes} bytes of it. ${fix}`, file);
    }
  }
}


"""Rewrite an ONNX graph with its weights in external data files, as hub exports of models over 2 GB ship.

The graph keeps only each initializer's name, shape and an external_data entry (location,
offset, length); the bytes go to `<graph>_data`, or to `<graph>_data`, `<graph>_data_1`, ... with
--chunks N (transformers.js's getExternalDataChunkNames), or to one file of any name with
--location NAME (the graph names its files; loaders must follow what it says). Tests and the
bench build their external-data models with this from a model generated at run time, never a
committed one.

Only the Python `onnx` package is needed (Debian python3-onnx).

Usage: /usr/bin/python3 tools/model/external_data.py SRC.onnx DEST.onnx [--chunks N] [--location NAME]
"""
import argparse
import os

import onnx
from onnx.external_data_helper import convert_model_to_external_data, set_external_data


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src")
    parser.add_argument("dest")
    parser.add_argument("--chunks", type=int, default=1)
    parser.add_argument("--location")
    args = parser.parse_args()
    model = onnx.load(args.src)
    base = os.path.basename(args.dest)
    if args.location or args.chunks == 1:
        convert_model_to_external_data(model, all_tensors_to_one_file=True, location=args.location or f"{base}_data", size_threshold=0)
    else:
        # Spread the initializers over N files by size, largest first into the emptiest file.
        names = [f"{base}_data" if i == 0 else f"{base}_data_{i}" for i in range(args.chunks)]
        sizes = [0] * args.chunks
        for tensor in sorted(model.graph.initializer, key=lambda t: -len(t.raw_data)):
            if not tensor.HasField("raw_data"):
                continue
            i = sizes.index(min(sizes))
            sizes[i] += len(tensor.raw_data)
            set_external_data(tensor, location=names[i])
    onnx.save_model(model, args.dest)
    print(f"wrote {args.dest} with external data")


if __name__ == "__main__":
    main()

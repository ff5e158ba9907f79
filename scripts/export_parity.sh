#!/usr/bin/env bash
# Proves that densenet4j's ONNX and TorchScript exports run outside densenet4j with PyTorch's numbers, for
# full-size models:
# densenet121 and densenet161 (random torchvision weights, generated here: too big to commit) and the blog
# code's cifar-densenet121 (its own class, new features first). For each: PyTorch's eval-mode logits,
# `densenet4j export --format onnx` (and --fold) of the same .pth, onnx.checker (full check, if python3-onnx is
# installed), ONNX Runtime's logits at full optimisation, and the graph's node count before and after ORT's
# optimisation; and `densenet4j export --format torchscript`, loaded with torch.jit.load (no densenet4j code).
#   scripts/export_parity.sh [OUTDIR]
# Needs Debian's python3-torch and python3-torchvision; python3-onnx for the checker.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$(mktemp -d)}"
cd "$root"
mkdir -p "$out"
mvn -q -B -DskipTests -pl peers -am install >/dev/null
ort_cp="$root/peers/target/densenet4j-peers-0.1.0-SNAPSHOT.jar:$(cat "$root/peers/target/classpath.txt")"
for model in densenet121 densenet161 cifar-densenet121; do
  /usr/bin/python3 - "$model" "$out" "$root" <<'PY'
import sys, importlib.util, numpy as np, torch, torchvision
name, out, root = sys.argv[1], sys.argv[2], sys.argv[3]
torch.manual_seed(0)
g = torch.Generator().manual_seed(1)
if name.startswith("cifar-"):
    spec = importlib.util.spec_from_file_location("fixtures", f"{root}/scripts/make_torch_fixtures.py")
    fixtures = importlib.util.module_from_spec(spec); spec.loader.exec_module(fixtures)
    model = fixtures.BlogDenseNet([6, 12, 24, 16], growth_rate=32, num_classes=10)
    x = torch.randn(2, 3, 32, 32, generator=g)
else:
    model = getattr(torchvision.models, name)()
    x = torch.randn(2, 3, 224, 224, generator=g)
for m in model.modules():  # non-trivial BN statistics so that eval mode is really exercised
    if isinstance(m, torch.nn.BatchNorm2d):
        with torch.no_grad():
            m.running_mean.copy_(torch.rand(m.running_mean.shape, generator=g) * 0.2 - 0.1)
            m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)
model.eval()
with torch.no_grad():
    y = model(x)
torch.save(model.state_dict(), f"{out}/{name}.pth")
np.save(f"{out}/{name}-input.npy", x.numpy())
np.save(f"{out}/{name}-torch.npy", y.numpy())
PY
  for fold in "" "--fold"; do
    tag="$model${fold:+-folded}"
    "$root/densenet4j" export --overwrite --model "$model" --weights "$out/$model.pth" --format onnx $fold --out "$out/$tag.onnx" >/dev/null
    if /usr/bin/python3 -c "import onnx" 2>/dev/null; then
      /usr/bin/python3 -c "import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)" "$out/$tag.onnx"
      checked="onnx.checker (full) OK"
    else
      checked="onnx.checker not installed"
    fi
    nodes=$(java -Dai.djl.offline=true -cp "$ort_cp" org.densenet4j.peers.OnnxRun "$out/$tag.onnx" \
      "$out/$model-input.npy" "$out/$tag-ort.npy" 2>/dev/null | grep '^nodes:')
    /usr/bin/python3 - "$out/$model-torch.npy" "$out/$tag-ort.npy" "$tag" "$checked" "$nodes" <<'PY'
import sys, numpy as np
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
err, scale = float(np.abs(a - b).max()), float(np.abs(a).max())
ok = err <= 1e-4 * scale
print(f"{sys.argv[3]}: ONNX Runtime vs PyTorch max |logit difference| {err:.3g} (relative {err / scale:.2e}) "
      f"{'OK' if ok else 'FAIL'}; {sys.argv[4]}; {sys.argv[5]}")
sys.exit(0 if ok else 1)
PY
  done
  "$root/densenet4j" export --overwrite --model "$model" --weights "$out/$model.pth" --format torchscript \
    --out "$out/$model-scripted.pt" >/dev/null
  /usr/bin/python3 - "$out" "$model" <<'PY'
import sys, numpy as np, torch
out, name = sys.argv[1], sys.argv[2]
files = {"classes.json": "", "input.json": ""}
scripted = torch.jit.load(f"{out}/{name}-scripted.pt", _extra_files=files)
with torch.no_grad():
    b = scripted(torch.from_numpy(np.load(f"{out}/{name}-input.npy"))).numpy()
a = np.load(f"{out}/{name}-torch.npy")
err, scale = float(np.abs(a - b).max()), float(np.abs(a).max())
ok = err <= 1e-4 * scale
print(f"{name}-torchscript: torch.jit.load vs PyTorch max |logit difference| {err:.3g} (relative {err / scale:.2e}) "
      f"{'OK' if ok else 'FAIL'}; input {files['input.json']}")
sys.exit(0 if ok else 1)
PY
done

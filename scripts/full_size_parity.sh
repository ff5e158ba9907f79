#!/usr/bin/env bash
# Shows logit parity with PyTorch for the full-size ImageNet DenseNets (densenet121, 169, 201, 161)
# with random torchvision weights. They are too big to commit, so this generates them.
#   scripts/full_size_parity.sh [OUTDIR]
# Needs Debian's python3-torch and python3-torchvision (/usr/bin/python3).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$(mktemp -d)}"
mkdir -p "$out"
for model in densenet121 densenet169 densenet201 densenet161; do
  /usr/bin/python3 - "$model" "$out" <<'PY'
import sys, numpy as np, torch, torchvision
name, out = sys.argv[1], sys.argv[2]
torch.manual_seed(0)
model = getattr(torchvision.models, name)()
g = torch.Generator().manual_seed(1)
for m in model.modules():  # non-trivial BN statistics so that eval mode is really exercised
    if isinstance(m, torch.nn.BatchNorm2d):
        with torch.no_grad():
            m.running_mean.copy_(torch.rand(m.running_mean.shape, generator=g) * 0.2 - 0.1)
            m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)
model.eval()
x = torch.randn(2, 3, 224, 224, generator=g)
with torch.no_grad():
    y = model(x)
torch.save(model.state_dict(), f"{out}/{name}.pth")
np.save(f"{out}/{name}-input.npy", x.numpy())
np.save(f"{out}/{name}-torch.npy", y.numpy())
PY
  "$root/densenet4j" infer --model "$model" --weights "$out/$model.pth" --layout torchvision \
    --input "$out/$model-input.npy" --output "$out/$model-densenet4j.npy" >/dev/null
  /usr/bin/python3 - "$model" "$out" <<'PY'
import sys, numpy as np
name, out = sys.argv[1], sys.argv[2]
a = np.load(f"{out}/{name}-torch.npy"); b = np.load(f"{out}/{name}-densenet4j.npy")
err = float(np.abs(a - b).max()); scale = float(np.abs(a).max())
ok = err <= 1e-4 * scale
print(f"{name}: max |logit difference| {err:.3g}, largest |logit| {scale:.3g}, relative {err/scale:.2e} "
      f"{'OK' if ok else 'FAIL'}")
sys.exit(0 if ok else 1)
PY
done

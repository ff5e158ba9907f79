#!/usr/bin/env bash
# Shows logit parity with PyTorch for the full-size ImageNet DenseNets (densenet121, 169, 201, 161)
# with random torchvision weights (too big to commit, so this generates them), and the round trip:
# the file imported by densenet4j, exported again as .pth, and loaded by torchvision's
# DenseNet.load_state_dict (strict) gives the original logits.
#   scripts/full_size_parity.sh [OUTDIR]
# Needs Debian's python3-torch and python3-torchvision (/usr/bin/python3).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$(mktemp -d)}"
cd "$root"
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
  "$root/densenet4j" infer --overwrite --model "$model" --weights "$out/$model.pth" --layout torchvision \
    --input "$out/$model-input.npy" --output "$out/$model-densenet4j.npy" >/dev/null
  "$root/densenet4j" export --overwrite --model "$model" --weights "$out/$model.pth" --layout torchvision \
    --out "$out/$model-roundtrip.pth" >/dev/null
  /usr/bin/python3 - "$model" "$out" <<'PY'
import sys, numpy as np, torch, torchvision
name, out = sys.argv[1], sys.argv[2]
model = getattr(torchvision.models, name)()
model.load_state_dict(torch.load(f"{out}/{name}-roundtrip.pth"), strict=True)
model.eval()
with torch.no_grad():
    again = model(torch.from_numpy(np.load(f"{out}/{name}-input.npy"))).numpy()
original = np.load(f"{out}/{name}-torch.npy")
print(f"{name}: round trip through densenet4j export, max |logit difference| {float(np.abs(again - original).max()):.3g}")
PY
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

# The blog code's layout: a pytorch-cifar checkpoint of cifar-densenet121 ({'net': state_dict, ...},
# DataParallel prefix), imported and exported by densenet4j, then loaded by the blog code's own class.
/usr/bin/python3 - "$out" <<'PY'
import sys, os, numpy as np, torch
sys.path.insert(0, "scripts")
from make_torch_fixtures import BlogDenseNet
out = sys.argv[1]
torch.manual_seed(0)
model = BlogDenseNet([6, 12, 24, 16], growth_rate=32).eval()
x = torch.randn(4, 3, 32, 32)
with torch.no_grad():
    y = model(x)
sd = {"module." + k: v for k, v in model.state_dict().items()}
torch.save({"net": sd, "acc": 90.0, "epoch": 1}, f"{out}/cifar-densenet121.pth")
np.save(f"{out}/cifar-input.npy", x.numpy()); np.save(f"{out}/cifar-torch.npy", y.numpy())
PY
"$root/densenet4j" infer --overwrite --model cifar-densenet121 --weights "$out/cifar-densenet121.pth" \
  --input "$out/cifar-input.npy" --output "$out/cifar-densenet4j.npy" >/dev/null
"$root/densenet4j" export --overwrite --model cifar-densenet121 --weights "$out/cifar-densenet121.pth" \
  --out "$out/cifar-roundtrip.pth" >/dev/null
/usr/bin/python3 - "$out" <<'PY'
import sys, numpy as np, torch
sys.path.insert(0, "scripts")
from make_torch_fixtures import BlogDenseNet
out = sys.argv[1]
a, b = np.load(f"{out}/cifar-torch.npy"), np.load(f"{out}/cifar-densenet4j.npy")
model = BlogDenseNet([6, 12, 24, 16], growth_rate=32)
model.load_state_dict(torch.load(f"{out}/cifar-roundtrip.pth"), strict=True)
with torch.no_grad():
    c = model.eval()(torch.from_numpy(np.load(f"{out}/cifar-input.npy"))).numpy()
err = float(np.abs(a - b).max()); scale = float(np.abs(a).max())
print(f"cifar-densenet121 (pytorch-cifar, module. prefix): relative logit difference {err/scale:.2e} "
      f"{'OK' if err <= 1e-4 * scale else 'FAIL'}; round trip into the blog class: max difference "
      f"{float(np.abs(c - a).max()):.3g}")
sys.exit(0 if err <= 1e-4 * scale else 1)
PY

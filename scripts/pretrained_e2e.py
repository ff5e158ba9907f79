#!/usr/bin/python3
"""End-to-end check of pretrained weights by name, as a user meets them: `./densenet4j predict --model densenet121
--weights imagenet` against a local mirror, compared with torchvision on the same weights and photographs.

usage: /usr/bin/python3 scripts/pretrained_e2e.py [WORK_DIR]

Makes a densenet121 state dict with torchvision's own initialisation (random BN statistics, so that every stage
matters) and saves it as torchvision's published file is saved: legacy `norm.1`/`conv.2` keys, named
densenet121-<first 8 hex digits of its SHA-256>.pth. Serves it with Python's http.server on 127.0.0.1, points
DENSENET4J_PRETRAINED at a registry naming it `imagenet`, and checks, on sklearn's two sample photographs (the JPEG
files as shipped):
  1. top-5 class names and probabilities equal torchvision's pipeline (DenseNet121_Weights.IMAGENET1K_V1.transforms()
     on the PIL image) within 1e-4;
  2. a second run makes no request;
  3. a tampered cached file is refused (exit 1) and removed;
  4. with the server gone, the error names the URL and the manual step (exit 1).
Prints each check and exits non-zero on the first that fails. Nothing is downloaded from the internet.
"""
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import tempfile

import torch
from PIL import Image
from torchvision.models import DenseNet121_Weights, densenet121

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PHOTOS = [os.path.join(os.path.dirname(__import__("sklearn.datasets").datasets.__file__), "images", n)
          for n in ("china.jpg", "flower.jpg")]


def fail(message):
    print("FAILED: " + message)
    sys.exit(1)


def make_weights(work):
    torch.manual_seed(121)
    model = densenet121()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.1, 0.1)
        model.classifier.weight.mul_(40)  # probabilities far from uniform
    model.eval()
    legacy = {re.sub(r"(denselayer\d+\.(?:norm|relu|conv))([12])\.", r"\1.\2.", k): v
              for k, v in model.state_dict().items()}
    path = os.path.join(work, "weights.pth")
    torch.save(legacy, path)
    digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
    name = "densenet121-%s.pth" % digest[:8]
    os.rename(path, os.path.join(work, "mirror", name))
    return model, name, digest[:8]


def torchvision_top5(model):
    transforms = DenseNet121_Weights.IMAGENET1K_V1.transforms()
    categories = DenseNet121_Weights.IMAGENET1K_V1.meta["categories"]
    out = {}
    with torch.no_grad():
        for photo in PHOTOS:
            x = transforms(Image.open(photo).convert("RGB")).unsqueeze(0)
            p = torch.softmax(model(x), 1)[0].double()
            top = torch.topk(p, 5)
            out[os.path.basename(photo)] = [(categories[i], v) for v, i in zip(top.values.tolist(), top.indices.tolist())]
    return out


def predict(env, expect_exit):
    cmd = [os.path.join(ROOT, "densenet4j"), "predict", "--model", "densenet121", "--weights", "imagenet",
           "--topk", "5", "--json"] + PHOTOS
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if r.returncode != expect_exit:
        fail("%s exited %d, expected %d\nstderr: %s" % (" ".join(cmd), r.returncode, expect_exit, r.stderr[-2000:]))
    return r


def main():
    work = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="densenet4j-e2e-")
    os.makedirs(os.path.join(work, "mirror"), exist_ok=True)
    model, name, sha = make_weights(work)
    expected = torchvision_top5(model)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(os.path.join(work, "server.log"), "w")
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                               "--directory", os.path.join(work, "mirror")], stdout=log, stderr=log)
    url = "http://127.0.0.1:%d/%s" % (port, name)
    registry = os.path.join(work, "registry.json")
    with open(registry, "w") as f:
        json.dump({"weights": [{"model": "densenet121", "name": "imagenet", "url": url, "sha256": sha,
                                "layout": "torchvision", "classes": "imagenet-1k"}]}, f)
    env = dict(os.environ, DENSENET4J_PRETRAINED=registry, DENSENET4J_CACHE=os.path.join(work, "cache"),
               TORCH_HOME=os.path.join(work, "torch"))
    env.pop("ONEDNN_MAX_CPU_ISA", None)  # the launcher decides
    try:
        import time
        time.sleep(1)
        r = predict(env, 0)
        got = {os.path.basename(p["file"]): p["top"] for p in json.loads(r.stdout)["predictions"]}
        for photo, top in expected.items():
            for k, (label, prob) in enumerate(top):
                g = got[photo][k]
                if g["label"] != label or abs(g["probability"] - prob) > 1e-4:
                    fail("%s top-%d: densenet4j %s %.6f, torchvision %s %.6f" % (photo, k + 1, g["label"],
                                                                                g["probability"], label, prob))
            print("ok  %s: top-5 = torchvision's (%s %.4f, ...), within 1e-4" % (photo, top[0][0], top[0][1]))
        predict(env, 0)
        requests = sum(1 for line in open(os.path.join(work, "server.log")) if '"GET /' in line)
        if requests != 1:
            fail("%d requests after two runs, expected 1" % requests)
        print("ok  a second run makes no request")
        cached = os.path.join(work, "cache", name)
        data = bytearray(open(cached, "rb").read())
        data[len(data) // 2] ^= 1
        open(cached, "wb").write(data)
        r = predict(env, 1)
        if "not densenet121:imagenet's published file" not in r.stderr or os.path.exists(cached):
            fail("a tampered file: " + r.stderr)
        print("ok  a tampered file is refused and removed: " + r.stderr.strip().splitlines()[-1][:160])
    finally:
        server.terminate()
        server.wait()
    r = predict(env, 1)
    if url not in r.stderr or "by hand" not in r.stderr:
        fail("without the server: " + r.stderr)
    print("ok  without the server: " + r.stderr.strip().splitlines()[-1][:200])


if __name__ == "__main__":
    main()

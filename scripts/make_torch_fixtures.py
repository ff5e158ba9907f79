#!/usr/bin/python3
"""Generates the PyTorch reference fixtures that densenet4j's parity tests compare against.

Run with Debian's python3-torch and python3-torchvision (PyTorch 1.13):
    /usr/bin/python3 scripts/make_torch_fixtures.py core/src/test/resources/torch-fixtures

For each small configuration it writes, in its own folder:
    weights.pth     the weights, saved as the original code saves them
    input.npy       a fixed float32 NCHW batch
    logits.npy      PyTorch's eval-mode logits for that batch
    labels.npy      int64 labels for the training step
    after_step.pth  the state dict after one training step (BN in training mode, cross-entropy,
                    SGD lr 0.1, Nesterov momentum 0.9, weight decay 1e-4)
    after_step_bf16.pth
                    the same step with the forward pass under torch.autocast("cpu", dtype=torch.bfloat16),
                    PyTorch's bf16 mixed precision (float32 weights, bfloat16 convolutions and linear layers)
    cam.npy         class activation maps (N, classes, h, w): the classifier's weights applied to the final
                    feature maps relu(bn(last block output))
    gradcam_last.npy, gradcam_block1.npy
                    Grad-CAM (N, h, w) of class 1 on the final feature maps and on dense block 1's output
    features.npy    the pooled features the classifier sees (N, C): for torchvision models
                    flatten(adaptive_avg_pool2d(relu(model.features(x)), 1))
    fixture.json    the densenet4j settings of the model and the layout
"""
import copy
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision


# The blog code (shared/seed), unchanged but for the head's pooling window, which it fixes at 4 for
# 32x32 inputs: global pooling is the same there.
class Bottleneck(nn.Module):
    def __init__(self, in_planes, growth_rate):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.conv1 = nn.Conv2d(in_planes, 4 * growth_rate, kernel_size=1, bias=False)
        self.bn2 = nn.BatchNorm2d(4 * growth_rate)
        self.conv2 = nn.Conv2d(4 * growth_rate, growth_rate, kernel_size=3, padding=1, bias=False)

    def forward(self, x):
        out = self.conv1(F.relu(self.bn1(x)))
        out = self.conv2(F.relu(self.bn2(out)))
        return torch.cat([out, x], 1)


class Transition(nn.Module):
    def __init__(self, in_planes, out_planes):
        super().__init__()
        self.bn = nn.BatchNorm2d(in_planes)
        self.conv = nn.Conv2d(in_planes, out_planes, kernel_size=1, bias=False)

    def forward(self, x):
        return F.avg_pool2d(self.conv(F.relu(self.bn(x))), 2)


class BlogDenseNet(nn.Module):
    def __init__(self, nblocks, growth_rate=12, reduction=0.5, num_classes=10):
        super().__init__()
        self.growth_rate = growth_rate
        num_planes = 2 * growth_rate
        self.conv1 = nn.Conv2d(3, num_planes, kernel_size=3, padding=1, bias=False)
        self.dense1 = self._make_dense_layers(num_planes, nblocks[0])
        num_planes += nblocks[0] * growth_rate
        out_planes = int(math.floor(num_planes * reduction))
        self.trans1 = Transition(num_planes, out_planes)
        num_planes = out_planes
        self.dense2 = self._make_dense_layers(num_planes, nblocks[1])
        num_planes += nblocks[1] * growth_rate
        out_planes = int(math.floor(num_planes * reduction))
        self.trans2 = Transition(num_planes, out_planes)
        num_planes = out_planes
        self.dense3 = self._make_dense_layers(num_planes, nblocks[2])
        num_planes += nblocks[2] * growth_rate
        out_planes = int(math.floor(num_planes * reduction))
        self.trans3 = Transition(num_planes, out_planes)
        num_planes = out_planes
        self.dense4 = self._make_dense_layers(num_planes, nblocks[3])
        num_planes += nblocks[3] * growth_rate
        self.bn = nn.BatchNorm2d(num_planes)
        self.linear = nn.Linear(num_planes, num_classes)

    def _make_dense_layers(self, in_planes, nblock):
        layers = []
        for _ in range(nblock):
            layers.append(Bottleneck(in_planes, self.growth_rate))
            in_planes += self.growth_rate
        return nn.Sequential(*layers)

    def forward(self, x):
        out = self.conv1(x)
        out = self.trans1(self.dense1(out))
        out = self.trans2(self.dense2(out))
        out = self.trans3(self.dense3(out))
        out = self.dense4(out)
        out = F.adaptive_avg_pool2d(F.relu(self.bn(out)), 1)
        return self.linear(out.view(out.size(0), -1))


def randomise_bn(model, gen):
    """Non-trivial BN parameters and statistics, so that eval-mode parity means something."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            with torch.no_grad():
                m.weight.copy_(torch.rand(m.weight.shape, generator=gen) + 0.5)
                m.bias.copy_(torch.rand(m.bias.shape, generator=gen) * 0.4 - 0.2)
                m.running_mean.copy_(torch.rand(m.running_mean.shape, generator=gen) - 0.5)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=gen) + 0.5)


def legacy_keys(state_dict):
    """torchvision's pre-0.4 names: norm1 -> norm.1, conv2 -> conv.2 inside dense layers."""
    out = type(state_dict)()
    for k, v in state_dict.items():
        for name in ("norm1", "norm2", "conv1", "conv2", "relu1", "relu2"):
            k = k.replace("." + name + ".", "." + name[:-1] + "." + name[-1] + ".") if ".denselayer" in k else k
        out[k] = v
    return out


def final_features_and_head(model):
    """The final feature maps relu(bn(last block output)) as a function of x, the classifier, and dense block 1."""
    if isinstance(model, BlogDenseNet):
        def features(x):
            out = model.conv1(x)
            out = model.trans1(model.dense1(out))
            out = model.trans2(model.dense2(out))
            out = model.trans3(model.dense3(out))
            return F.relu(model.bn(model.dense4(out)))
        return features, model.linear, model.dense1
    return (lambda x: F.relu(model.features(x))), model.classifier, model.features.denseblock1


def explanations(model, x, target=1):
    """CAM for every class, and Grad-CAM of one class at the final maps and at dense block 1's output."""
    model.eval()
    features, classifier, block1 = final_features_and_head(model)
    with torch.no_grad():
        cam = torch.einsum("kc,nchw->nkhw", classifier.weight, features(x))

    def grad_cam(maps, logits):
        model.zero_grad()
        logits[:, target].sum().backward()
        weights = maps.grad.mean(dim=(2, 3), keepdim=True)
        return F.relu((weights * maps).sum(1)).detach()

    maps = features(x).detach().requires_grad_(True)
    last = grad_cam(maps, classifier(F.adaptive_avg_pool2d(maps, 1).flatten(1)))
    store = {}

    def keep(module, inputs, output):
        output.retain_grad()
        store["maps"] = output
    hook = block1.register_forward_hook(keep)
    logits = model(x)
    hook.remove()
    inner = grad_cam(store["maps"], logits)
    model.zero_grad()
    return cam, last, inner


def one_step(model, x, labels, bf16=False):
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-4)
    opt.zero_grad()
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        logits = model(x)
    loss = F.cross_entropy(logits.float(), labels)
    loss.backward()
    opt.step()
    return model.state_dict()


def write(folder, name, model, weights_obj, x, labels, settings):
    path = os.path.join(folder, name)
    os.makedirs(path, exist_ok=True)
    torch.save(weights_obj, os.path.join(path, "weights.pth"))
    model.eval()
    with torch.no_grad():
        logits = model(x)
    np.save(os.path.join(path, "input.npy"), x.numpy().astype(np.float32))
    np.save(os.path.join(path, "logits.npy"), logits.numpy().astype(np.float32))
    np.save(os.path.join(path, "labels.npy"), labels.numpy().astype(np.int64))
    features, _, _ = final_features_and_head(model)
    with torch.no_grad():
        pooled = torch.flatten(F.adaptive_avg_pool2d(features(x), 1), 1)
    np.save(os.path.join(path, "features.npy"), pooled.numpy().astype(np.float32))
    cam, last, inner = explanations(model, x)
    np.save(os.path.join(path, "cam.npy"), cam.numpy().astype(np.float32))
    np.save(os.path.join(path, "gradcam_last.npy"), last.numpy().astype(np.float32))
    np.save(os.path.join(path, "gradcam_block1.npy"), inner.numpy().astype(np.float32))
    torch.save(one_step(copy.deepcopy(model), x, labels, bf16=True), os.path.join(path, "after_step_bf16.pth"))
    torch.save(one_step(model, x, labels), os.path.join(path, "after_step.pth"))
    with open(os.path.join(path, "fixture.json"), "w") as f:
        json.dump(settings, f, indent=2)
    print(name, "logits", tuple(logits.shape), "max |logit|", float(logits.abs().max()))


def torchvision_small(seed, classes, blocks, k, stem, bn_size):
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = torchvision.models.DenseNet(growth_rate=k, block_config=blocks, num_init_features=stem,
                                        bn_size=bn_size, drop_rate=0, num_classes=classes)
    randomise_bn(model, gen)
    return model, gen


def main(folder):
    torch.set_num_threads(2)
    # torchvision layout, ImageNet stem, current key names.
    model, gen = torchvision_small(1, 5, (2, 3), 8, 16, 2)
    x = torch.randn(2, 3, 48, 48, generator=gen)
    write(folder, "torchvision-small", model, model.state_dict(), x, torch.tensor([1, 4]),
          dict(layout="torchvision", growthRate=8, blockLayers=[2, 3], bottleneckWidth=2, compression=0.5,
               stem="IMAGENET", stemWidth=16, classes=5, concatOrder="INPUT_FIRST"))
    # torchvision layout with legacy keys (norm.1, conv.2), as in files such as densenet121-a639ec97.pth.
    model, gen = torchvision_small(2, 7, (3, 2, 2), 6, 12, 4)
    x = torch.randn(3, 3, 40, 40, generator=gen)
    write(folder, "torchvision-legacy-keys", model, legacy_keys(model.state_dict()), x, torch.tensor([0, 6, 3]),
          dict(layout="torchvision", growthRate=6, blockLayers=[3, 2, 2], bottleneckWidth=4, compression=0.5,
               stem="IMAGENET", stemWidth=12, classes=7, concatOrder="INPUT_FIRST"))
    # The blog code's checkpoint format: {'net': state_dict, 'acc': ..., 'epoch': ...}.
    torch.manual_seed(3)
    gen = torch.Generator().manual_seed(3)
    model = BlogDenseNet([2, 2, 2, 2], growth_rate=6, num_classes=10)
    randomise_bn(model, gen)
    x = torch.randn(2, 3, 32, 32, generator=gen)
    settings = dict(layout="pytorch-cifar", growthRate=6, blockLayers=[2, 2, 2, 2], bottleneckWidth=4,
                    compression=0.5, stem="CIFAR", stemWidth=12, classes=10, concatOrder="NEW_FEATURES_FIRST")
    write(folder, "pytorch-cifar", model, {"net": model.state_dict(), "acc": 91.5, "epoch": 3}, x,
          torch.tensor([2, 9]), settings)
    # The same format saved from nn.DataParallel: every key starts with 'module.'.
    torch.manual_seed(4)
    gen = torch.Generator().manual_seed(4)
    model = BlogDenseNet([1, 2, 3, 1], growth_rate=4, num_classes=3)
    randomise_bn(model, gen)
    x = torch.randn(4, 3, 32, 32, generator=gen)
    wrapped = type(model.state_dict())(("module." + k, v) for k, v in model.state_dict().items())
    settings = dict(settings, growthRate=4, blockLayers=[1, 2, 3, 1], stemWidth=8, classes=3)
    write(folder, "pytorch-cifar-dataparallel", model, {"net": wrapped, "acc": 50.0, "epoch": 1}, x,
          torch.tensor([0, 1, 2, 1]), settings)


def main_bf16(folder):
    """Fixtures for the bf16 training step: batches of 16 and maps of at least 4x4 at the last block, so that
    training-mode BN sees enough values per channel for bfloat16 rounding to stay small against the update."""
    torch.set_num_threads(2)
    model, gen = torchvision_small(5, 5, (2, 3), 8, 16, 2)
    x = torch.randn(16, 3, 64, 64, generator=gen)
    write(folder, "bf16-torchvision", model, model.state_dict(), x, torch.arange(16) % 5,
          dict(layout="torchvision", growthRate=8, blockLayers=[2, 3], bottleneckWidth=2, compression=0.5,
               stem="IMAGENET", stemWidth=16, classes=5, concatOrder="INPUT_FIRST"))
    torch.manual_seed(6)
    gen = torch.Generator().manual_seed(6)
    model = BlogDenseNet([2, 2, 2, 2], growth_rate=6, num_classes=10)
    randomise_bn(model, gen)
    x = torch.randn(16, 3, 32, 32, generator=gen)
    write(folder, "bf16-pytorch-cifar", model, {"net": model.state_dict(), "acc": 0.0, "epoch": 0}, x,
          torch.arange(16) % 10,
          dict(layout="pytorch-cifar", growthRate=6, blockLayers=[2, 2, 2, 2], bottleneckWidth=4, compression=0.5,
               stem="CIFAR", stemWidth=12, classes=10, concatOrder="NEW_FEATURES_FIRST"))


def write_views(folder):
    """Tensors as state dicts can hold them: views with storage offsets and strides, float16 and float64,
    nested in dicts. expected.npz holds the values the reader must produce (contiguous, as float32)."""
    base = torch.arange(60, dtype=torch.float32).reshape(6, 10)
    tensors = {
        "transposed": base.t(),                      # strides (1, 10)
        "sliced": base[2:5, 3:9],                    # storage offset 23, strides (10, 1)
        "stepped": base[::2, ::3],                   # strides (20, 3)
        "half": torch.linspace(-2, 2, 7).to(torch.float16),
        "double": torch.linspace(0, 1, 5, dtype=torch.float64).reshape(5, 1),
    }
    path = os.path.join(folder, "views")
    os.makedirs(path, exist_ok=True)
    torch.save({"state_dict": {"nested": tensors, "plain": base}, "note": "views"}, os.path.join(path, "views.pth"))
    np.savez(os.path.join(path, "expected.npz"), **{k: v.float().contiguous().numpy() for k, v in tensors.items()})


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "core/src/test/resources/torch-fixtures")
    write_views(sys.argv[1] if len(sys.argv) > 1 else "core/src/test/resources/torch-fixtures")
    main_bf16(sys.argv[1] if len(sys.argv) > 1 else "core/src/test/resources/torch-fixtures")

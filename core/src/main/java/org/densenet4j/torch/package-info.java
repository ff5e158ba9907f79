/**
 * PyTorch's state-dict files: a safe reader for {@code torch.save} zip files ({@link
 * org.densenet4j.torch.TorchFileReader}, its unpickler refusing anything but tensors), a writer and its pickle
 * writer, the name mapping between densenet4j parameters and the torchvision and pytorch-cifar layouts ({@link
 * org.densenet4j.torch.TorchLayout}), importing a {@code .pth} as a trained model, and safetensors.
 */
package org.densenet4j.torch;

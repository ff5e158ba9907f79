class DenseNet(Module):
  __parameters__ = []
  __buffers__ = []
  training : bool
  _is_full_backward_hook : NoneType
  def forward(self: __torch__.DenseNet,
    images: Tensor,
    p: List[Tensor]) -> Tensor:
    # bfloat16 (ScalarType 15) channels-last (MemoryFormat 2) maps inside, float32 (6) logits out
    x = torch.to(images, 15, False, False, 2)
    x0 = (self).stem(x, p, True, )
    x1 = (self).dense_block(x0, p, 1, 2, True, )
    x2 = (self).transition(x1, p, 11, True, )
    x3 = (self).dense_block(x2, p, 16, 3, True, )
    x4 = (self).transition(x3, p, 31, True, )
    x5 = (self).dense_block(x4, p, 36, 2, True, )
    return torch.to((self).head(x5, p, 46, True, ), 6)
  def part(self: __torch__.DenseNet,
    x: Tensor,
    p: List[Tensor],
    where: Tensor) -> Tensor:
    # one part alone, float32 in and out, for the memory-efficient step: p holds the part's own
    # tensors, where = [part, training], part 0 the stem, 1 a dense layer, 2 a transition, 3 the head
    kind = int(torch.select(where, 0, 0))
    training = bool(torch.select(where, 0, 1))
    y = torch.to(x, 15, False, False, 2)
    if torch.eq(kind, 0):
      z = (self).stem(y, p, training, )
    else:
      if torch.eq(kind, 1):
        z0 = (self).dense_layer(y, p, 0, training, )
      else:
        if torch.eq(kind, 2):
          z1 = (self).transition(y, p, 0, training, )
        else:
          z1 = (self).head(y, p, 0, training, )
        z0 = z1
      z = z0
    return torch.to(z, 6)
  def norm_relu(self: __torch__.DenseNet,
    x: Tensor,
    p: List[Tensor],
    at: int,
    training: bool) -> Tensor:
    # BN with the float32 weights, bias and running statistics at p[at:at + 4], then ReLU in place
    normed = torch.batch_norm(x, p[at], p[torch.add(at, 1)], p[torch.add(at, 2)], p[torch.add(at, 3)], training, 0.10000000000000001, 9.999999747378752E-6, True)
    return torch.relu_(normed)
  def conv(self: __torch__.DenseNet,
    x: Tensor,
    weight: Tensor,
    stride: int,
    padding: int,
    training: bool) -> Tensor:
    # a bfloat16 convolution; the float32 weight is cast here, so its gradient comes back float32
    y = torch.conv2d(x, torch.to(weight, 15), None, [stride, stride], [padding, padding], [1, 1], 1)
    return y
  def stem(self: __torch__.DenseNet,
    x: Tensor,
    p: List[Tensor],
    training: bool) -> Tensor:
    # one 3x3 convolution
    return torch.conv2d(x, torch.to(p[0], 15), None, [1, 1], [1, 1], [1, 1], 1)
  def dense_block(self: __torch__.DenseNet,
    x: Tensor,
    p: List[Tensor],
    at: int,
    layers: int,
    training: bool) -> Tensor:
    # each layer's k new maps join the block's maps after them (the paper's order)
    features = x
    for j in range(layers):
      added = (self).dense_layer(features, p, torch.add(at, torch.mul(j, 5)), training, )
      features = torch.cat([features, added], 1)
    return features
  def dense_layer(self: __torch__.DenseNet,
    x: Tensor,
    p: List[Tensor],
    at: int,
    training: bool) -> Tensor:
    # basic: BN-ReLU-conv 3x3 to k maps
    return (self).conv((self).norm_relu(x, p, at, training, ), p[torch.add(at, 4)], 1, 1, training, )
  def transition(self: __torch__.DenseNet,
    x: Tensor,
    p: List[Tensor],
    at: int,
    training: bool) -> Tensor:
    # BN-ReLU, 2x2 average pool, 1x1 convolution (pooling first: they commute)
    y = torch.avg_pool2d((self).norm_relu(x, p, at, training, ), [2, 2], [2, 2], [0, 0], False, True, None)
    return (self).conv(y, p[torch.add(at, 4)], 1, 0, training, )
  def head(self: __torch__.DenseNet,
    x: Tensor,
    p: List[Tensor],
    at: int,
    training: bool) -> Tensor:
    # BN-ReLU, global average pooling, the bfloat16 linear classifier
    pooled = torch.adaptive_avg_pool2d((self).norm_relu(x, p, at, training, ), [1, 1])
    return torch.linear(torch.flatten(pooled, 1), torch.to(p[torch.add(at, 4)], 15), torch.to(p[torch.add(at, 5)], 15))

class DenseNet(Module):
  __parameters__ = []
  __buffers__ = []
  training : bool
  _is_full_backward_hook : NoneType
  stem_weights : List[Tensor]
  denseblock1 : List[List[Tensor]]
  transition1 : List[Tensor]
  denseblock2 : List[List[Tensor]]
  transition2 : List[Tensor]
  denseblock3 : List[List[Tensor]]
  head_weights : List[Tensor]
  def forward(self: __torch__.DenseNet,
    images: Tensor) -> Tensor:
    # bfloat16 inside (ScalarType 15), float32 at the edges (6), channels-last maps (MemoryFormat 2);
    # the folded network: each BN-ReLU before a 1x1 conv or the classifier is a clamp plus that map's
    # weights and bias, each BN after a conv is in the conv, a dense block writes one buffer
    x = (self).stem(torch.contiguous(torch.to(images, 15), memory_format=2), self.stem_weights, )
    x = (self).dense_block(x, self.denseblock1, )
    x = (self).transition(x, self.transition1, )
    x = (self).dense_block(x, self.denseblock2, )
    x = (self).transition(x, self.transition2, )
    x = (self).dense_block(x, self.denseblock3, )
    return torch.to((self).head(x, self.head_weights, ), 6)
  def clamp(self: __torch__.DenseNet,
    x: Tensor,
    lower: Tensor,
    upper: Tensor) -> Tensor:
    # relu(bn(x)) = s * clamp(x) + b' per channel: the bounds (upper only where a BN scale is negative)
    y = torch.maximum(x, lower)
    if torch.gt(torch.numel(upper), 0):
      y0 = torch.minimum(y, upper)
    else:
      y0 = y
    return y0
  def stem(self: __torch__.DenseNet,
    x: Tensor,
    p: List[Tensor]) -> Tensor:
    # one 3x3 convolution
    return torch.conv2d(x, p[0], None, [1, 1], [1, 1], [1, 1], 1)
  def dense_block(self: __torch__.DenseNet,
    x: Tensor,
    layers: List[List[Tensor]]) -> Tensor:
    # one buffer: the block input first, then each layer's k maps after the ones it read
    c0 = torch.size(x, 1)
    k = torch.size(layers[0][4], 0)
    total = torch.add(c0, torch.mul(torch.len(layers), k))
    buffer = torch.empty([torch.size(x, 0), total, torch.size(x, 2), torch.size(x, 3)], dtype=15, layout=None, device=None, pin_memory=None, memory_format=2)
    _0 = torch.copy_(torch.narrow(buffer, 1, 0, c0), x)
    for j in range(torch.len(layers)):
      seen = torch.add(c0, torch.mul(j, k))
      added = (self).dense_layer(torch.narrow(buffer, 1, 0, seen), layers[j], )
      _1 = torch.copy_(torch.narrow(buffer, 1, seen, k), added)
    return buffer
  def dense_layer(self: __torch__.DenseNet,
    x: Tensor,
    p: List[Tensor]) -> Tensor:
    # basic: BN (float32 statistics), ReLU, 3x3 conv to k maps (its padding keeps the BN apart)
    normed = torch.batch_norm(x, p[2], p[3], p[0], p[1], False, 0.10000000000000001, 9.999999747378752E-6, True)
    return torch.conv2d(torch.relu(normed), p[4], None, [1, 1], [1, 1], [1, 1], 1)
  def transition(self: __torch__.DenseNet,
    x: Tensor,
    p: List[Tensor]) -> Tensor:
    # clamp, 2x2 average pool, then the 1x1 convolution (pooling first: they commute)
    pooled = torch.avg_pool2d((self).clamp(x, p[0], p[1], ), [2, 2], [2, 2], [0, 0], False, True, None)
    return torch.conv2d(pooled, p[2], p[3], [1, 1], [0, 0], [1, 1], 1)
  def head(self: __torch__.DenseNet,
    x: Tensor,
    p: List[Tensor]) -> Tensor:
    # clamp, global average pooling, the classifier with the head BN folded in
    pooled = torch.adaptive_avg_pool2d((self).clamp(x, p[0], p[1], ), [1, 1])
    return torch.linear(torch.flatten(pooled, 1), p[2], p[3])

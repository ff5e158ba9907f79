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
    x = (self).stem(images, self.stem_weights, )
    x = (self).dense_block(x, self.denseblock1, )
    x = (self).transition(x, self.transition1, )
    x = (self).dense_block(x, self.denseblock2, )
    x = (self).transition(x, self.transition2, )
    x = (self).dense_block(x, self.denseblock3, )
    return (self).head(x, self.head_weights, )
  def norm_relu(self: __torch__.DenseNet,
    x: Tensor,
    p: List[Tensor],
    at: int) -> Tensor:
    # eval-mode batch normalisation with the weights at p[at:at + 4], then ReLU
    normed = torch.batch_norm(x, p[at], p[at + 1], p[at + 2], p[at + 3], False, 0.10000000000000001, 9.999999747378752E-6, True)
    return torch.relu(normed)
  def stem(self: __torch__.DenseNet,
    x: Tensor,
    p: List[Tensor]) -> Tensor:
    # one 3x3 convolution
    return torch.conv2d(x, p[0], None, [1, 1], [1, 1], [1, 1], 1)
  def dense_block(self: __torch__.DenseNet,
    x: Tensor,
    layers: List[List[Tensor]]) -> Tensor:
    # each layer's k new maps join the block's maps after them (the paper's order)
    features = x
    for layer in layers:
      added = (self).dense_layer(features, layer, )
      features = torch.cat([features, added], 1)
    return features
  def dense_layer(self: __torch__.DenseNet,
    x: Tensor,
    p: List[Tensor]) -> Tensor:
    # bottleneck: BN-ReLU-conv 1x1 to the bottleneck width, BN-ReLU-conv 3x3 to k maps
    narrow = torch.conv2d((self).norm_relu(x, p, 0, ), p[4], None, [1, 1], [0, 0], [1, 1], 1)
    return torch.conv2d((self).norm_relu(narrow, p, 5, ), p[9], None, [1, 1], [1, 1], [1, 1], 1)
  def transition(self: __torch__.DenseNet,
    x: Tensor,
    p: List[Tensor]) -> Tensor:
    # BN-ReLU, 1x1 convolution (compression), 2x2 average pool
    y = torch.conv2d((self).norm_relu(x, p, 0, ), p[4], None, [1, 1], [0, 0], [1, 1], 1)
    return torch.avg_pool2d(y, [2, 2], [2, 2], [0, 0], False, True, None)
  def head(self: __torch__.DenseNet,
    x: Tensor,
    p: List[Tensor]) -> Tensor:
    # BN-ReLU, global average pooling, linear classifier
    pooled = torch.adaptive_avg_pool2d((self).norm_relu(x, p, 0, ), [1, 1])
    return torch.linear(torch.flatten(pooled, 1), p[4], p[5])

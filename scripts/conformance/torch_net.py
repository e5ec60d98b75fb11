"""
Ortholens architectures (src/main/engine/models/architecture.ts, as JSON) rebuilt in PyTorch,
for reference values: NHWC tensors in and out, the project's weight names and layouts,
TensorFlow's 'same' padding (asymmetric: the extra row and column go to the bottom and the
right), training-mode batch norm with biased batch variance, and the orthogonal objective of
src/main/engine/training/steps.ts. Run in float64 for references, float32 for "what a
framework user gets".
"""
import math

import torch
import torch.nn.functional as F


def same_pads(size, k, s):
    """TensorFlow's 'same' padding along one axis: (before, after)."""
    out = math.ceil(size / s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


def conv2d_nhwc(x, w, stride, padding, bias=None, dilation=1):
    """x [N,H,W,C], w [kh,kw,ci,co] (tfjs layout)."""
    xc = x.permute(0, 3, 1, 2)
    kh, kw = w.shape[0], w.shape[1]
    if padding == 'same':
        ekh, ekw = (kh - 1) * dilation + 1, (kw - 1) * dilation + 1
        top, bottom = same_pads(x.shape[1], ekh, stride)
        left, right = same_pads(x.shape[2], ekw, stride)
        xc = F.pad(xc, (left, right, top, bottom))
    y = F.conv2d(xc, w.permute(3, 2, 0, 1), bias=bias, stride=stride, dilation=dilation)
    return y.permute(0, 2, 3, 1)


def max_pool_nhwc(x, k, s, padding='valid'):
    xc = x.permute(0, 3, 1, 2)
    if padding == 'same':
        top, bottom = same_pads(x.shape[1], k, s)
        left, right = same_pads(x.shape[2], k, s)
        xc = F.pad(xc, (left, right, top, bottom), value=-math.inf)
    return F.max_pool2d(xc, k, s).permute(0, 2, 3, 1)


def avg_pool_nhwc(x, k, s, padding='valid'):
    """TensorFlow's average pool: 'same' borders divide by the real (unpadded) count."""
    xc = x.permute(0, 3, 1, 2)
    if padding == 'same':
        top, bottom = same_pads(x.shape[1], k, s)
        left, right = same_pads(x.shape[2], k, s)
        pad = (left, right, top, bottom)
        total = F.avg_pool2d(F.pad(xc, pad), k, s, divisor_override=1)
        count = F.avg_pool2d(F.pad(torch.ones_like(xc[:1, :1]), pad), k, s, divisor_override=1)
        return (total / count).permute(0, 2, 3, 1)
    return F.avg_pool2d(xc, k, s).permute(0, 2, 3, 1)


def batch_norm_train(x, gamma, beta, eps):
    axes = tuple(range(x.dim() - 1))
    mean = x.mean(dim=axes)
    var = ((x - mean) ** 2).mean(dim=axes)
    return (x - mean) / torch.sqrt(var + eps) * gamma + beta, mean, var


class Net:
    """Forward pass of an architecture JSON with a dict of weights (name -> tensor)."""

    def __init__(self, architecture, weights):
        self.layers = architecture['layers']
        self.w = weights

    def __call__(self, x, training):
        return self.run(self.layers, x, training)

    def run(self, layers, x, training):
        for layer in layers:
            x = self.layer(layer, x, training)
        return x

    def layer(self, layer, x, training):
        kind, name = layer['kind'], layer['name']
        w = self.w
        if kind == 'conv':
            bias = w[name + '/bias'] if layer['bias'] else None
            y = conv2d_nhwc(x, w[name + '/kernel'], layer['stride'], layer['padding'])
            return y + bias if bias is not None else y
        if kind == 'dense':
            y = x @ w[name + '/kernel']
            return y + w[name + '/bias'] if layer['bias'] else y
        if kind == 'relu':
            return torch.relu(x)
        if kind == 'batchnorm':
            gamma, beta = w[name + '/gamma'], w[name + '/beta']
            if training:
                return batch_norm_train(x, gamma, beta, layer['epsilon'])[0]
            mean, var = w[name + '/moving_mean'], w[name + '/moving_variance']
            return (x - mean) / torch.sqrt(var + layer['epsilon']) * gamma + beta
        if kind == 'maxpool':
            return max_pool_nhwc(x, layer['size'], layer['stride'])
        if kind == 'gap':
            return x.mean(dim=(1, 2))
        if kind == 'flatten':
            return x.reshape(x.shape[0], -1)
        if kind == 'residual':
            body = self.run(layer['body'], x, training)
            short = self.run(layer['shortcut'], x, training) if layer['shortcut'] else x
            return body + short
        raise ValueError('unknown layer kind ' + kind)


def cross_entropy(logits, labels, reduction='mean'):
    ce = F.cross_entropy(logits, labels, reduction='none')
    return ce.mean() if reduction == 'mean' else ce


def input_gradient(net, x, labels, training, create_graph=False):
    """The gradient of the batch-mean cross-entropy with respect to the images."""
    x = x.detach().requires_grad_(True)
    loss = cross_entropy(net(x, training), labels)
    (g,) = torch.autograd.grad(loss, x, create_graph=create_graph)
    return g


def normalised_rows(g):
    flat = g.reshape(g.shape[0], -1)
    return flat / (torch.sqrt((flat * flat).sum(dim=1, keepdim=True)) + 1e-12)


def penalty(delta, form):
    if form == 'signed':
        return delta.mean()
    if form == 'absolute':
        return delta.abs().mean()
    return (delta * delta).mean()


def orthogonal_objective(net, x, labels, g1, lam, form):
    """CE(M(x), y) + λ·P(δ) in training mode, as training/steps.ts objective()."""
    xr = x.detach().requires_grad_(True)
    ce = cross_entropy(net(xr, True), labels)
    (g2,) = torch.autograd.grad(ce, xr, create_graph=True)
    delta = (normalised_rows(g1) * normalised_rows(g2)).sum(dim=1)
    return ce + lam * penalty(delta, form)

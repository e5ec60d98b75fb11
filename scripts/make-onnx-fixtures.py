#!/usr/bin/env python3
"""
ONNX fixtures for the ONNX import tests (test/main/engine/models/onnx/): narrowed torchvision
networks and two small nets exported by PyTorch, each with a batch of images and PyTorch's
logits and input gradients. Tests compare against these files; they never run Python.

    python3 scripts/make-onnx-fixtures.py [OUT_DIR]      # default test/fixtures/onnx
    python3 scripts/make-onnx-fixtures.py --full-resnet18 FILE.onnx   # local speed check only

Needs Debian's python3-torch, python3-torchvision and python3-onnx (torch 1.13 exports opsets
up to 17). The networks are built from torchvision's own classes and blocks (BasicBlock, Fire,
InvertedResidual, _DenseBlock, make_layers) with fewer channels, so they export the same
operator patterns as the full models while the fixtures stay a few MB. Weights are random;
batch-norm statistics are measured on images and their affine terms randomised, so that a
wrong normalisation would show.

For each fixture NAME the script writes:
  NAME.onnx           the model
  NAME.json           input size, layout, preprocessing, opset, and the logits (JSON numbers)
  NAME.input.bin      float32 images, NHWC, values in [0, 1] (before the model's normalisation)
  NAME.gradient.bin   float32 d CE(logits, argmax logits) / d input, NHWC (per image)
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import onnx
from torchvision.models import densenet, mobilenetv2, resnet, squeezenet, vgg
from torchvision.ops.misc import Conv2dNormActivation

IMAGENET = {'mean': [0.485, 0.456, 0.406], 'std': [0.229, 0.224, 0.225]}


class NarrowResNet18(resnet.ResNet):
    """torchvision's resnet18 (BasicBlock, [2, 2, 2, 2], 7x7 stem, max pool) with stage widths
    width, 2, 4, 8 x width (64 in torchvision)."""

    def __init__(self, width=8, num_classes=10):
        super().__init__(resnet.BasicBlock, [2, 2, 2, 2], num_classes=num_classes)
        self.inplanes = width
        self.conv1 = nn.Conv2d(3, width, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.layer1 = self._make_layer(resnet.BasicBlock, width, 2)
        self.layer2 = self._make_layer(resnet.BasicBlock, width * 2, 2, stride=2)
        self.layer3 = self._make_layer(resnet.BasicBlock, width * 4, 2, stride=2)
        self.layer4 = self._make_layer(resnet.BasicBlock, width * 8, 2, stride=2)
        self.fc = nn.Linear(width * 8, num_classes)


def narrow_mobilenet_v2(num_classes=10):
    """torchvision's MobileNetV2 at width 0.25 with a shorter block list and a narrow head."""
    setting = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 2, 2], [6, 64, 2, 2], [6, 96, 1, 1], [6, 160, 2, 2]]
    m = mobilenetv2.MobileNetV2(num_classes=num_classes, width_mult=0.25, inverted_residual_setting=setting)
    last_in = m.features[-1][0].in_channels
    m.features[-1] = Conv2dNormActivation(last_in, 64, kernel_size=1, norm_layer=nn.BatchNorm2d, activation_layer=nn.ReLU6)
    m.last_channel = 64
    m.classifier = nn.Sequential(nn.Dropout(p=0.2), nn.Linear(64, num_classes))
    nn.init.normal_(m.classifier[1].weight, 0.0, 0.3)  # torchvision's 0.01 makes near-constant logits
    return m


def narrow_squeezenet1_1(num_classes=10):
    """torchvision's squeezenet1_1 (Fire modules, ceil-mode max pools) at a quarter width."""
    m = squeezenet.SqueezeNet('1_1', num_classes=num_classes)
    Fire = squeezenet.Fire
    m.features = nn.Sequential(
        nn.Conv2d(3, 16, kernel_size=3, stride=2), nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
        Fire(16, 4, 16, 16), Fire(32, 4, 16, 16),
        nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
        Fire(32, 8, 32, 32), Fire(64, 8, 32, 32),
        nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
        Fire(64, 12, 48, 48), Fire(96, 12, 48, 48), Fire(96, 16, 64, 64), Fire(128, 16, 64, 64),
    )
    # Narrow squeeze layers die (all-zero ReLU) under PyTorch's default init: He init, positive biases.
    for conv in m.features.modules():
        if isinstance(conv, nn.Conv2d):
            nn.init.kaiming_normal_(conv.weight, nonlinearity='relu')
            nn.init.uniform_(conv.bias, 0.0, 0.1)
    final_conv = nn.Conv2d(128, num_classes, kernel_size=1)
    nn.init.normal_(final_conv.weight, mean=0.0, std=0.2)
    nn.init.uniform_(final_conv.bias, 0.0, 0.5)
    m.classifier = nn.Sequential(nn.Dropout(p=0.5), final_conv, nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d((1, 1)))
    return m


class ChannelsLast(nn.Module):
    """Takes NHWC images, as a model exported from TensorFlow would: a Transpose opens the graph."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x.permute(0, 3, 1, 2))


def narrow_densenet121(num_classes=10):
    """torchvision's densenet121 block layout (6, 12, 24, 16) with growth 4 and 8 stem features."""
    return densenet.DenseNet(growth_rate=4, block_config=(6, 12, 24, 16), num_init_features=8, bn_size=2, num_classes=num_classes)


def narrow_vgg11_bn(num_classes=10):
    """torchvision's vgg11_bn (config A, batch norm) at width/8; the 7x7 adaptive pool (which does
    not export at 32 px) becomes a 1x1 one, and the classifier shrinks to match."""
    cfg = [4, 'M', 8, 'M', 16, 16, 'M', 32, 32, 'M', 32, 32, 'M']
    m = vgg.VGG(vgg.make_layers(cfg, batch_norm=True), num_classes=num_classes)
    m.avgpool = nn.AdaptiveAvgPool2d((1, 1))
    m.classifier = nn.Sequential(
        nn.Linear(32, 48), nn.ReLU(True), nn.Dropout(), nn.Linear(48, 48), nn.ReLU(True), nn.Dropout(), nn.Linear(48, num_classes)
    )
    return m


class CifarNet(nn.Module):
    """A small CIFAR-style classifier; x.view(x.size(0), -1) exports PyTorch's shape arithmetic."""

    def __init__(self, num_classes=10):
        super().__init__()
        def block(i, o):
            return [nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU()]
        self.features = nn.Sequential(
            *block(3, 16), *block(16, 16), nn.MaxPool2d(2), *block(16, 32), nn.MaxPool2d(2), *block(32, 32), nn.MaxPool2d(2)
        )
        self.fc1 = nn.Linear(32 * 4 * 4, 64)
        self.drop = nn.Dropout(0.3)
        self.fc2 = nn.Linear(64, num_classes)

    def forward(self, x):
        x = self.features(x)
        x = x.view(x.size(0), -1)
        return self.fc2(self.drop(F.relu(self.fc1(x))))


class OpZoo(nn.Module):
    """One-channel 28x28 net that exercises the rest of the operator list: grouped, dilated and
    depthwise convolutions, every activation, both average-pool padding rules, padded max pool,
    reflect and constant pads, squeeze-excitation (ReduceMean, Mul), channel softmax, MatMul on
    a permuted tensor, runtime Gather/Slice, shape arithmetic, global max/average pools, Gemm."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.c1 = nn.Conv2d(1, 8, 3, padding=1)
        self.c2 = nn.Conv2d(8, 8, 3, padding=1, groups=2)
        self.prelu = nn.PReLU(8)
        self.c3 = nn.Conv2d(8, 8, 3, padding=2, dilation=2)
        self.dw = nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=8)
        self.bn = nn.BatchNorm2d(8)
        self.avg_ex = nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
        self.avg_in = nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=True)
        self.pool = nn.MaxPool2d(3, stride=2, padding=1)
        self.se1 = nn.Conv2d(16, 4, 1)
        self.se2 = nn.Conv2d(4, 16, 1)
        self.reflect_conv = nn.Conv2d(16, 12, 3)
        self.proj = nn.Parameter(torch.randn(13, 12) * 0.3)
        self.fc = nn.Linear(3 * 12, num_classes)
        # Gains above PyTorch's defaults, so the input still decides the logits after a dozen
        # squashing operators (with the defaults the images' differences fade to ~1 % of the range).
        for conv in self.modules():
            if isinstance(conv, nn.Conv2d):
                fan_in = conv.weight[0].numel()
                nn.init.normal_(conv.weight, 0.0, 2.5 / fan_in ** 0.5)
        nn.init.normal_(self.fc.weight, 0.0, 1.0)
        nn.init.zeros_(self.fc.bias)

    def forward(self, x):
        x = F.leaky_relu(self.c1(x), 0.1)
        x = self.prelu(self.c2(x))
        x = F.relu6(self.c3(x) * 3.0)
        x = F.hardswish(self.bn(self.dw(x)))                     # 14 x 14
        x = torch.tanh(torch.cat([self.avg_ex(x), self.avg_in(x)], dim=1))
        x = self.pool(x)                                          # 7 x 7, 16 channels
        s = x.mean(dim=(2, 3), keepdim=True)
        x = x * F.hardsigmoid(self.se2(F.relu(self.se1(s))))
        x = (x - x.mean(dim=1, keepdim=True)) / 0.5 + torch.zeros_like(x)
        x = F.pad(x, (1, 0, 1, 0), value=0.25)                    # 8 x 8
        x = self.reflect_conv(F.pad(x, (1, 1, 1, 1), mode='reflect'))[:, :, 1:, 1:]  # 7 x 7
        x = torch.sigmoid(x) * torch.softmax(x, dim=1) * 4.0 - 0.5
        first = x[:, 0].unsqueeze(1)                              # runtime Gather
        h = x.shape[2] // 2 + 4                                   # shape arithmetic
        x = torch.cat([x[:, :, :h], first[:, :, :h]], dim=1)     # 13 channels, 7 rows
        x = torch.matmul(x.permute(0, 2, 3, 1), self.proj).permute(0, 3, 1, 2)  # 12 channels
        gmax = F.adaptive_max_pool2d(x, 1).flatten(1)
        gavg = F.adaptive_avg_pool2d(x, 1).squeeze(3).squeeze(2)
        rows = x.mean(dim=3).reshape(x.size(0), 12, 7).sum(dim=2) / 7.0
        return self.fc(torch.cat([gmax, gavg, rows.unsqueeze(1).squeeze(1)], dim=1))


def random_images(n, size, channels, gen):
    """NHWC images in [0, 1]: a per-image, per-channel level plus pixel noise, so images differ
    (uniform noise alone looks alike to a deep random network) and no two pixels tie."""
    level = torch.rand(n, 1, 1, channels, generator=gen)
    return (0.6 * level + 0.4 * torch.rand(n, size, size, channels, generator=gen)).clamp(0, 1)


def calibrate_batch_norms(model, forward, size, channels, gen):
    """Batch-norm statistics measured on images (as training would leave them), then random
    affine terms: random weights alone leave deep nets with inputs that barely matter."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None  # cumulative average
    model.train()
    with torch.no_grad():
        for _ in range(4):
            forward(random_images(16, size, channels, gen))
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            m.weight.data = 0.5 + torch.rand(c, generator=gen)
            m.bias.data = 0.2 * torch.randn(c, generator=gen)
            m.running_mean.data += 0.05 * torch.randn(c, generator=gen)
    model.eval()


def export(name, model, size, channels, out_dir, opset, preprocessing, layout='NCHW', dynamic=True, batch=4, seed=0):
    gen = torch.Generator().manual_seed(seed)
    scale = 255.0 if preprocessing['scale'] == '0-255' else 1.0
    mean = torch.tensor(preprocessing['mean']).view(1, 1, 1, -1)
    std = torch.tensor(preprocessing['std']).view(1, 1, 1, -1)

    def model_input(x01):
        x = x01 * scale
        if preprocessing['channelOrder'] == 'BGR':
            x = x.flip(3)
        x = (x - mean) / std
        return (x if layout == 'NHWC' else x.permute(0, 3, 1, 2)).contiguous()

    calibrate_batch_norms(model, lambda x01: model(model_input(x01)), size, channels, gen)
    images = random_images(batch, size, channels, gen)
    x = images.clone().requires_grad_(True)
    logits = model(model_input(x))
    predicted = logits.argmax(dim=1)
    loss = F.cross_entropy(logits, predicted, reduction='sum')  # per-image gradients, independent
    (gradient,) = torch.autograd.grad(loss, x)
    # A dead network (constant logits, zero gradients) would make the comparison meaningless.
    assert all(float(g.abs().sum()) > 0 for g in gradient), f'{name}: an input gradient is zero'
    spread = float((logits - logits[0]).abs().max() / (logits.max() - logits.min()))
    assert spread > 0.05, f'{name}: the logits barely depend on the input ({spread:.3g} of their range)'

    path = os.path.join(out_dir, f'{name}.onnx')
    example = model_input(images[:1] if dynamic else images).detach()
    torch.onnx.export(
        model, example, path, opset_version=opset, input_names=['input'], output_names=['logits'],
        dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}} if dynamic else None, do_constant_folding=True
    )
    onnx.checker.check_model(onnx.load(path))
    ops = sorted({n.op_type for n in onnx.load(path).graph.node})
    images.numpy().astype('<f4').tofile(os.path.join(out_dir, f'{name}.input.bin'))
    gradient.numpy().astype('<f4').tofile(os.path.join(out_dir, f'{name}.gradient.bin'))
    meta = {
        'model': f'{name}.onnx', 'opset': opset, 'batch': batch, 'dynamicBatch': dynamic,
        'inputShape': [size, size, channels], 'layout': layout, 'preprocessing': preprocessing,
        'operators': ops, 'logits': logits.detach().numpy().astype(float).round(7).tolist(),
        'predicted': predicted.tolist(), 'torch': torch.__version__,
    }
    with open(os.path.join(out_dir, f'{name}.json'), 'w') as f:
        json.dump(meta, f, indent=1)
        f.write('\n')
    print(f'{name}: {os.path.getsize(path) / 1024:.0f} KiB, opset {opset}, ops {", ".join(ops)}')


def rgb(mean, std, scale='0-1', order='RGB'):
    return {'scale': scale, 'channelOrder': order, 'mean': mean, 'std': std}


def main():
    torch.manual_seed(0)
    if len(sys.argv) == 3 and sys.argv[1] == '--full-resnet18':
        from torchvision.models import resnet18
        m = resnet18(num_classes=10).eval()
        torch.onnx.export(m, torch.rand(1, 3, 32, 32), sys.argv[2], opset_version=17, input_names=['input'],
                          output_names=['logits'], dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}})
        print(f'wrote {sys.argv[2]}')
        return
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'onnx')
    os.makedirs(out, exist_ok=True)
    imagenet = rgb(**IMAGENET)
    caffe = rgb([103.94, 116.78, 123.68], [57.4, 57.1, 58.4], scale='0-255', order='BGR')
    half = rgb([0.5, 0.5, 0.5], [0.5, 0.5, 0.5])
    grey = rgb([0.2860], [0.3530])
    plain = rgb([0.0, 0.0, 0.0], [1.0, 1.0, 1.0])
    torch.manual_seed(1)
    export('resnet18-opset17', NarrowResNet18(width=6), 32, 3, out, 17, imagenet, seed=1)
    for opset in (17, 10):
        torch.manual_seed(2)
        export(f'mobilenet_v2-opset{opset}', narrow_mobilenet_v2(), 32, 3, out, opset, imagenet, seed=2)
    torch.manual_seed(3)
    export('squeezenet1_1-opset17', narrow_squeezenet1_1(), 40, 3, out, 17, caffe, seed=3)
    torch.manual_seed(4)
    export('densenet121-opset17', ChannelsLast(narrow_densenet121()), 32, 3, out, 17, half, layout='NHWC', seed=4)
    torch.manual_seed(5)
    export('vgg11_bn-opset17', narrow_vgg11_bn(), 32, 3, out, 17, imagenet, seed=5)
    for opset, dynamic in ((17, True), (11, False)):
        torch.manual_seed(6)
        export(f'cifar-opset{opset}', CifarNet(), 32, 3, out, opset, plain, dynamic=dynamic, seed=6)
    # Opset 9 has no Slice with computed ends, so that export fixes the batch size (4).
    for opset, dynamic in ((17, True), (9, False)):
        torch.manual_seed(7)
        export(f'opzoo-opset{opset}', OpZoo(), 28, 1, out, opset, grey, dynamic=dynamic, seed=7)


if __name__ == '__main__':
    main()

"""
float64 references for the conformance suite (test/main/engine/conformance/), computed once
with PyTorch (Debian's python3-torch) and PIL (python3-pil), written as a small JSON fixture
that the tests read; CI needs no Python.

Usage: python3 scripts/conformance/reference.py INPUT_DIR OUTPUT_JSON
(INPUT_DIR from scripts/conformance/export-inputs.ts; make-fixtures.sh runs both.)

Each reference is what a framework computes in float64 on the same float32 inputs, with the
app's documented conventions: NHWC, TensorFlow's 'same' padding, max pooling's first maximum
in scan order, average pooling that excludes padding, biased batch variance, JPEG through
libjpeg (PIL) at the given quality, Chambolle TV on 0-255 values, a reflect-101 bilateral
filter. Large outputs are stored as a fixed sample of entries plus the largest magnitude.
"""
import io
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_net import (Net, avg_pool_nhwc, batch_norm_train, conv2d_nhwc, input_gradient,  # noqa: E402
                       max_pool_nhwc, normalised_rows, orthogonal_objective, penalty)

torch.set_default_dtype(torch.float64)
D = torch.float64
SAMPLE = 96
GRAD_SAMPLE = 24


def load(folder, spec):
    a = np.fromfile(os.path.join(folder, spec['file']), dtype='<f4').astype(np.float64)
    return torch.tensor(a.reshape(spec['shape']) if spec['shape'] else a, dtype=D)


def output(values, seed, count=SAMPLE):
    """The entries of an output: all of a small one, a fixed sample of a large one."""
    v = np.asarray(values, dtype=np.float64).ravel()
    out = {'shape': list(np.shape(values)), 'absMax': float(np.abs(v).max()) if v.size else 0.0}
    if v.size > count:
        idx = np.sort(np.random.default_rng(seed).choice(v.size, count, replace=False))
        out['indices'] = [int(i) for i in idx]
        v = v[idx]
    out['values'] = [float('%.10g' % x) for x in v]
    return out


def grad_of(f, xs, create_graph=False):
    return torch.autograd.grad(f, xs, create_graph=create_graph)


def conv_case(x, w, dy, v, p):
    x, w = x.requires_grad_(True), w.requires_grad_(True)
    y = conv2d_nhwc(x, w, p['stride'], p['pad'], dilation=p['dilation'])
    dx, dw = grad_of((y * dy).sum(), [x, w], create_graph=True)
    (dwdx,) = grad_of((v * dx).sum(), [w])
    return {'y': y, 'dx': dx, 'dw': dw, 'dwdx': dwdx}


def pool_case(op, x, dy, p):
    x = x.requires_grad_(True)
    y = (max_pool_nhwc if op == 'maxPool' else avg_pool_nhwc)(x, p['k'], p['s'], p['pad'])
    (dx,) = grad_of((y * dy).sum(), [x])
    return {'y': y, 'dx': dx}


def bn_train_case(i):
    x, gamma, beta, dy = (i[k].requires_grad_(True) for k in ('x', 'gamma', 'beta', 'dy'))
    y, mean, var = batch_norm_train(x, gamma, beta, 1e-5)
    dx, dgamma, dbeta = grad_of((y * dy).sum(), [x, gamma, beta], create_graph=True)
    second = (i['a'] * dx).sum() + (i['p'] * dgamma).sum() + (i['q'] * dbeta).sum()
    ddy, ddx, ddgamma = grad_of(second, [dy, x, gamma])
    return {'y': y, 'mean': mean, 'variance': var, 'dx': dx, 'dgamma': dgamma, 'dbeta': dbeta,
            'ddy': ddy, 'ddx': ddx, 'ddgamma': ddgamma}


def bn_inference_case(i, p):
    x = i['x'].requires_grad_(True)
    y = (x - i['mean']) / torch.sqrt(i['variance'] + p['epsilon']) * i['gamma'] + i['beta']
    if p['relu']:
        y = torch.relu(y)
    (dx,) = grad_of((y * i['dy']).sum(), [x])
    return {'y': y, 'dx': dx}


def cross_entropy_case(i):
    """Written in the cancellation-free form: float64 softmax - onehot loses 1e-16 / (1 - p_y)."""
    z = i['logits'].numpy()
    labels = i['labels'].numpy().astype(int)
    v = i['v'].numpy()
    loss, grad, hvp = [], [], []
    for r in range(z.shape[0]):
        y = labels[r]
        d = z[r] - z[r, y]
        m = d.max()
        rest = np.exp(d - m)
        rest[y] = 0.0
        s = rest.sum()
        loss.append(m + math.log1p(math.expm1(-m) + s))
        p = rest / (math.exp(-m) + s)          # p_i for i != y (0 at y)
        p_y = math.exp(-m) / (math.exp(-m) + s)
        g = p.copy()
        g[y] = -p.sum()                         # p_y - 1 without cancellation
        grad.append(g)
        pv = p @ v[r] + p_y * v[r, y]
        hv = p * (v[r] - pv)
        hv[y] = p_y * (v[r, y] * p.sum() - p @ v[r])
        hvp.append(hv)
    return {'loss': np.array(loss), 'grad': np.array(grad), 'hvp': np.array(hvp)}


def penalty_case(i, p):
    g2 = i['g2'].requires_grad_(True)
    delta = (normalised_rows(i['g1']) * normalised_rows(g2)).sum(dim=1)
    value = penalty(delta, p['form'])
    (grad,) = grad_of(value, [g2])
    return {'penalty': value.reshape(1), 'grad': grad}


def attack_case(i, p):
    """FGSM / I-FGSM / MI-FGSM / PGD as the engine defines them (attacks/*.ts)."""
    k, kb, dk, db = i['convKernel'], i['convBias'], i['denseKernel'], i['denseBias']
    labels = i['labels'].long()

    def logits(x):
        h = torch.relu(conv2d_nhwc(x, k, 1, 'same') + kb)
        return h.reshape(x.shape[0], -1) @ dk + db

    x0 = i['x']
    eps, alpha = p['epsilon'], p['stepSize']
    x = torch.clamp(x0 + i['start'], 0, 1) if 'start' in i else x0.clone()
    acc, margin = None, math.inf
    for _ in range(int(p['steps'])):
        xr = x.detach().requires_grad_(True)
        (g,) = grad_of(F.cross_entropy(logits(xr), labels, reduction='sum'), [xr])
        margin = min(margin, float((g.abs() / g.abs().max()).min()))
        if p['attack'] == 'mifgsm':
            l1 = g.abs().sum(dim=(1, 2, 3), keepdim=True).clamp_min(1e-12)
            acc = g / l1 if acc is None else p['decay'] * acc + g / l1
            direction = torch.sign(acc)
        else:
            direction = torch.sign(g)
        x = torch.clamp(torch.minimum(torch.maximum(x + alpha * direction, x0 - eps), x0 + eps), 0, 1)
    return {'images': x}, margin


def jpeg_case(x, quality):
    """PIL (libjpeg) encode + decode of each image as one 8-bit gray component."""
    out = np.zeros(x.shape)
    for n in range(x.shape[0]):
        pixels = np.round(np.clip(x[n, :, :, 0].numpy(), 0, 1) * 255).astype(np.uint8)
        buf = io.BytesIO()
        Image.fromarray(pixels, mode='L').save(buf, format='JPEG', quality=int(quality))
        decoded = Image.open(io.BytesIO(buf.getvalue()))
        assert decoded.mode == 'L', decoded.mode
        out[n, :, :, 0] = np.asarray(decoded, dtype=np.float64) / 255
    return {'images': out}


def bit_depth_case(x, depth):
    levels = 2 ** int(depth) - 1
    return {'images': np.round(np.clip(x.numpy(), 0, 1) * levels) / levels}


def chambolle(image, weight, eps=2e-4, max_iterations=200):
    """Chambolle's projection as scikit-image's _denoise_tv_chambolle_nd does it, in 2-D."""
    p = np.zeros((2,) + image.shape)
    g = np.zeros_like(p)
    d = np.zeros_like(image)
    out = image
    e_init = e_prev = None
    for it in range(max_iterations):
        if it > 0:
            d = -p.sum(0)
            d[1:, :] += p[0, :-1, :]
            d[:, 1:] += p[1, :, :-1]
            out = image + d
        else:
            out = image
        energy = (d ** 2).sum()
        g[0, :-1, :] = np.diff(out, axis=0)
        g[1, :, :-1] = np.diff(out, axis=1)
        norm = np.sqrt((g ** 2).sum(axis=0))[np.newaxis]
        energy += weight * norm.sum()
        tau = 0.25
        norm = 1 + norm * tau / weight
        p = (p - tau * g) / norm
        energy /= image.size
        if it == 0:
            e_init = e_prev = energy
        elif abs(e_prev - energy) < eps * e_init:
            break
        else:
            e_prev = energy
    return out


def tvm_case(x, weight):
    """On 0-255 values with the weight as given (the app runs on [0, 1] with weight / 255)."""
    a = x.numpy()
    out = np.zeros(a.shape)
    for n in range(a.shape[0]):
        for c in range(a.shape[3]):
            out[n, :, :, c] = np.clip(chambolle(a[n, :, :, c] * 255.0, weight) / 255.0, 0, 1)
    return {'images': out}


def bilateral_case(x, window, sigma_color=0.1):
    a = x.numpy()
    n, h, w, ch = a.shape
    r = window // 2
    sigma_s = window / 3
    reflect = lambda i, size: i if 0 <= i < size else (-i if i < 0 else 2 * (size - 1) - i)  # noqa: E731
    out = np.zeros(a.shape)
    for b in range(n):
        for y in range(h):
            for xx in range(w):
                acc, norm = np.zeros(ch), 0.0
                for dy in range(-r, r + 1):
                    for dx in range(-r, r + 1):
                        q = a[b, reflect(y + dy, h), reflect(xx + dx, w)]
                        wgt = math.exp(-(dy * dy + dx * dx) / (2 * sigma_s ** 2)) * \
                            math.exp(-((q - a[b, y, xx]) ** 2).sum() / (2 * sigma_color ** 2))
                        acc += wgt * q
                        norm += wgt
                out[b, y, xx] = acc / norm
    return {'images': out}


def weights_of(folder, spec, trainable, dtype=D):
    raw = np.fromfile(os.path.join(folder, spec['file']), dtype='<f4').astype(np.float64)
    w, off = {}, 0
    for m in spec['manifest']:
        count = int(np.prod(m['shape'])) if m['shape'] else 1
        w[m['name']] = torch.tensor(raw[off:off + count].reshape(m['shape']), dtype=dtype,
                                    requires_grad=trainable and 'moving_' not in m['name'])
        off += count
    return w


def relu_margin(net, x, training):
    """Smallest |pre-activation| / largest, over every ReLU: how far the case is from a kink."""
    seen = []
    original = torch.relu

    def spy(v):
        a = v.detach().abs()
        seen.append(float(a.min() / a.max()))
        return original(v)
    torch.relu = spy
    try:
        net(x, training)
    finally:
        torch.relu = original
    return min(seen) if seen else 1.0


def model_case(folder, entry, inputs, dtype=D):
    ref_w = weights_of(folder, entry['reference'], False, dtype)
    w = weights_of(folder, entry['model'], True, dtype)
    reference = Net(entry['reference']['architecture'], ref_w)
    net = Net(entry['model']['architecture'], w)
    x, labels = inputs['x'].to(dtype), inputs['labels'].long()
    g1 = input_gradient(reference, x, labels, False)
    total = orthogonal_objective(net, x, labels, g1, entry['params']['lambda'], entry['params']['form'])
    names = [m['name'] for m in entry['model']['manifest'] if 'moving_' not in m['name']]
    grads = grad_of(total, [w[n] for n in names])
    outs = {'objective': total.reshape(1), 'g1': g1}
    outs.update({'grad ' + n: g for n, g in zip(names, grads)})
    margin = min(relu_margin(net, x, True), relu_margin(reference, x, False))
    return outs, margin


def main(folder, target):
    cases = json.load(open(os.path.join(folder, 'cases.json')))
    fixture = []
    only = os.environ.get('CONFORMANCE_ONLY')  # a name fragment, to iterate on some cases
    for ci, entry in enumerate(cases):
        if only and only not in entry['name']:
            continue
        i = {k: load(folder, spec) for k, spec in entry['inputs'].items()}
        p, op = entry['params'], entry['op']
        extra = {}
        if op == 'conv':
            outs = conv_case(i['x'], i['w'], i['dy'], i['v'], p)
        elif op in ('maxPool', 'avgPool'):
            outs = pool_case(op, i['x'], i['dy'], p)
        elif op == 'batchNormTrain':
            outs = bn_train_case(i)
        elif op == 'batchNormInference':
            outs = bn_inference_case(i, p)
        elif op == 'crossEntropy':
            outs = cross_entropy_case(i)
        elif op == 'penalty':
            outs = penalty_case(i, p)
        elif op == 'attack':
            outs, extra['signMargin'] = attack_case(i, p)
        elif op == 'jpeg':
            outs = jpeg_case(i['x'], p['quality'])
        elif op == 'bitDepth':
            outs = bit_depth_case(i['x'], p['depth'])
        elif op == 'tvm':
            outs = tvm_case(i['x'], p['weight'])
        elif op == 'bilateral':
            outs = bilateral_case(i['x'], p['window'])
        elif op == 'model':
            outs, extra['reluMargin'] = model_case(folder, entry, i)
            extra['weightChecksum'] = entry['weightChecksum']
            # What PyTorch itself gets in float32 on the same case: the case's conditioning.
            outs32, _ = model_case(folder, entry, i, torch.float32)
            extra['torchFloat32Error'] = max(
                float((outs32[k].detach().double() - v.detach()).abs().max() / v.detach().abs().max())
                for k, v in outs.items() if k.startswith('grad '))
        else:
            raise ValueError(op)
        as_np = {k: (v.detach().numpy() if torch.is_tensor(v) else np.asarray(v)) for k, v in outs.items()}
        count = GRAD_SAMPLE if op == 'model' else SAMPLE
        fixture.append({
            'name': entry['name'],
            'checksum': entry['checksum'],
            **extra,
            'outputs': {k: output(v, 1000 * ci + j, count if k.startswith('grad ') else SAMPLE)
                        for j, (k, v) in enumerate(as_np.items())},
        })
        print('%-45s %s' % (entry['name'], ' '.join('%s=%s' % (k, v) for k, v in extra.items())))
    with open(target, 'w') as f:
        json.dump({'version': 1, 'torch': torch.__version__, 'cases': fixture}, f, separators=(',', ':'))
    print('wrote', target, os.path.getsize(target), 'bytes')


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])

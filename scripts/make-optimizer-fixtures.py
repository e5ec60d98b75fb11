"""Reference values for test/main/engine/training/optimizers.test.ts, from Debian's python3-torch
(1.13): torch.optim.SGD (momentum, Nesterov, weight decay) on a least-squares problem, and the
rates of MultiStepLR and CosineAnnealingLR. Run once with /usr/bin/python3; the printed values
are kept in the test as constants (the tests do not need Python).
"""
import json
import torch

A = torch.tensor([[1.0, 2.0], [0.5, -1.0], [-1.5, 0.25]])
b = torch.tensor([1.0, -2.0, 0.5])


def sgd_path(**kw):
    w = torch.tensor([0.3, -0.7], requires_grad=True)
    opt = torch.optim.SGD([w], **kw)
    out = []
    for _ in range(4):
        opt.zero_grad()
        loss = 0.5 * ((A @ w - b) ** 2).sum()
        loss.backward()
        opt.step()
        out.append([float(x) for x in w.detach()])
    return out


def rates(make, epochs):
    w = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.1)
    sched = make(opt)
    out = []
    for _ in range(epochs):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


print(json.dumps({
    "sgd_momentum_wd": sgd_path(lr=0.05, momentum=0.9, weight_decay=0.01),
    "sgd_nesterov_wd": sgd_path(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01),
    "sgd_plain": sgd_path(lr=0.05),
    "multistep": rates(lambda o: torch.optim.lr_scheduler.MultiStepLR(o, milestones=[2, 5], gamma=0.1), 7),
    "cosine": rates(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=5, eta_min=0.001), 5),
    "cosine_past_tmax": rates(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=3), 9),
}, indent=1))

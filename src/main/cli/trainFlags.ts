/**
 * The training flags shared by `train` and `plan` (and the fields of the contract's training
 * settings they fill: contract/training.ts), so both commands spell every setting the same way.
 */
import { flag, type Flags } from './args'
import { seed } from './command'

export const TRAIN_SETTING_FLAGS: Flags = {
  penalty: flag('penaltyForm'),
  epochs: flag('epochs', 'int'),
  batch: flag('batchSize', 'int'),
  lr: flag('learningRate', 'number'),
  optimizer: flag('optimizer'),
  momentum: flag('momentum', 'number'),
  nesterov: flag('nesterov', 'boolean'),
  'weight-decay': flag('weightDecay', 'number'),
  schedule: flag('schedule'),
  milestones: flag('milestones', 'ints'),
  gamma: flag('gamma', 'number'),
  'min-lr': flag('minLearningRate', 'number'),
  crop: flag('augment.cropPadding', 'int'),
  flip: flag('augment.flip', 'boolean'),
  seed,
  'train-samples': flag('trainLimit', 'int'),
  'val-samples': flag('valLimit', 'int'),
  'eval-every': flag('validateEvery', 'int'),
  patience: flag('patience', 'int')
}

/** Help lines for the training flags. */
export const TRAIN_SETTING_USAGE = `[--epochs N --batch N --lr X --seed N --train-samples N --val-samples N --eval-every N --patience N]
          [--optimizer adam|sgd --momentum 0.9 --nesterov yes|no --weight-decay X]
          [--schedule constant|step|cosine --milestones 82,123 --gamma 0.1 --min-lr X] [--crop PIXELS --flip yes|no]`

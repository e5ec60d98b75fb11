/**
 * All handlers, registered from the contract: the `Handlers<Channel>` type makes a missing
 * channel a compile error. `dispatch` is the one entry every transport calls: it checks the
 * channel, validates the payload, runs the handler and turns any failure into a Reply.
 */
import type { Reply } from '../../contract/errors'
import { isChannel, parseArgs, type Channel, type Results } from '../../contract/requests'
import type { HandlerContext } from './context'
import type { Handler, Handlers } from './types'
import { projectHandlers } from './projects'
import { datasetHandlers } from './datasets'
import { modelHandlers } from './models'
import { attackHandlers } from './attacks'
import { defenseHandlers } from './defenses'
import { evaluationHandlers } from './evaluation'
import { resultHandlers } from './results'
import { systemHandlers } from './system'
import { explainHandlers } from './explain'
import { planHandlers } from './plans'
import { logIfInternal, toErrorData } from '../jobs/errorData'
import { lifecycleHandlers } from './lifecycle'
import { exportHandlers } from './exports'

export const handlers: Handlers<Channel> = {
  ...projectHandlers,
  ...datasetHandlers,
  ...modelHandlers,
  ...attackHandlers,
  ...defenseHandlers,
  ...evaluationHandlers,
  ...resultHandlers,
  ...explainHandlers,
  ...planHandlers,
  ...lifecycleHandlers,
  ...exportHandlers,
  ...systemHandlers
}

/** Runs one request from an untrusted sender. Never throws. */
export async function dispatch(
  channel: unknown,
  payload: unknown,
  ctx: HandlerContext
): Promise<Reply<unknown>> {
  if (!isChannel(channel)) {
    return {
      ok: false,
      error: { code: 'unknown-channel', message: `Unknown request ${JSON.stringify(channel)}` }
    }
  }
  try {
    const args = parseArgs(channel, payload)
    const handler = handlers[channel] as Handler<Channel>
    const value = (await handler(args as never, ctx)) as Results[Channel]
    return { ok: true, value }
  } catch (err) {
    const error = toErrorData(err)
    logIfInternal(err, error, channel)
    return { ok: false, error }
  }
}

import type { Args, Channel, Results } from '../../contract/requests'
import type { HandlerContext } from './context'

/** A handler: validated args in, a JSON-able result out. No Electron in sight. */
export type Handler<C extends Channel> = (
  args: Args<C>,
  ctx: HandlerContext
) => Promise<Results[C]> | Results[C]
export type Handlers<K extends Channel> = { [C in K]: Handler<C> }

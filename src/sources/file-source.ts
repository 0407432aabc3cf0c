import { injectable } from 'inversify';
import type { NetworkPlan, NetworkRequest } from '../core/plan';
import type { NetworkSource } from '../core/ports/network-source';

/**
 * The seed's first usage model: every pod gets one interface per entry of the config's
 * `delegates`, in order; the one marked `masterplugin` (or the first) is the master.
 */
@injectable()
export class FileSource implements NetworkSource {
  readonly name = 'file';

  supports(request: NetworkRequest): boolean {
    return request.config.delegates.length > 0;
  }

  resolve(request: NetworkRequest): Promise<NetworkPlan> {
    const { config } = request;
    const attachments = config.delegates.map((spec) => ({
      network: typeof spec.conf['name'] === 'string' ? spec.conf['name'] : config.name,
      conf: spec.conf,
      master: spec.master,
      origin: spec.path,
    }));
    return Promise.resolve({ attachments });
  }
}

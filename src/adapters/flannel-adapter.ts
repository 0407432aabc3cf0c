import { IsOptional } from 'class-validator';
import type { Executor } from '../core/ports/executor';
import { IsAbsolutePath, IsNonEmptyString } from '../core/validators';
import { IsJsonObject } from './adapter-validators';
import { ExecAdapter } from './exec-adapter';

/** The flannel meta-plugin's documented fields (containernetworking/plugins `plugins/meta/flannel`). */
class FlannelConfModel {
  @IsOptional()
  @IsAbsolutePath()
  subnetFile?: unknown;

  @IsOptional()
  @IsAbsolutePath()
  dataDir?: unknown;

  @IsOptional()
  @IsJsonObject()
  delegate?: unknown;
}

/** Only what flannel itself reads of its delegate; the rest belongs to the delegate plugin. */
class FlannelDelegateModel {
  @IsOptional()
  @IsNonEmptyString()
  type?: unknown;
}

/**
 * Checks a flannel config. flannel writes its own delegate config (bridge by default) from
 * `subnetFile`, so only the paths and the delegate's `type` are multus's business.
 */
export class FlannelAdapter extends ExecAdapter {
  constructor(executor: Executor) {
    super(executor, {
      name: 'flannel',
      priority: 10,
      types: ['flannel'],
      model: FlannelConfModel,
      nested: { delegate: FlannelDelegateModel },
    });
  }
}

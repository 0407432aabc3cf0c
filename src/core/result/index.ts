/** CNI results of every supported spec version, their parsing and their conversion. */
export { type CniResult, Result020, Result040, Result100, resultFromData } from './cni-result';
export { type Converter, findConverter, RESULT_CONVERTERS, type ResultData } from './convert';
export { convertResult, parseResult } from './parse-result';
export type { IpConfig020, Result020Data } from './result-020';
export type { Interface040, IpConfig040, Result040Data } from './result-040';
export type { Interface100, IpConfig100, Result100Data } from './result-100';
export type { Dns, Route, Version020, Version040, Version100 } from './result-common';

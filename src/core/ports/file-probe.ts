/** Whether a file exists on the node (the readiness indicator file); core itself reads no files. */
export interface FileProbe {
  exists(path: string): Promise<boolean>;
}

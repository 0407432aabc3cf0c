/** Facts about files on the node (the readiness indicator file, network namespaces); core itself reads no files. */
export interface FileProbe {
  exists(path: string): Promise<boolean>;
  /** Both paths name the same file (same device and inode); false when either is missing. */
  sameFile(a: string, b: string): Promise<boolean>;
}

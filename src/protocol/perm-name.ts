/** PermName.java: a topic's (and a broker's) permission bits. */
export const PermName = {
  PERM_PRIORITY: 0x8,
  PERM_READ: 0x4,
  PERM_WRITE: 0x2,
  /** A template: topics may be auto-created from it (TBW102). */
  PERM_INHERIT: 0x1,

  isReadable(perm: number): boolean {
    return (perm & PermName.PERM_READ) === PermName.PERM_READ;
  },
  isWriteable(perm: number): boolean {
    return (perm & PermName.PERM_WRITE) === PermName.PERM_WRITE;
  },
  isInherited(perm: number): boolean {
    return (perm & PermName.PERM_INHERIT) === PermName.PERM_INHERIT;
  },
  /** Java's isValid: 0 <= perm < PERM_PRIORITY. */
  isValid(perm: number): boolean {
    return Number.isInteger(perm) && perm >= 0 && perm < PermName.PERM_PRIORITY;
  },
} as const;

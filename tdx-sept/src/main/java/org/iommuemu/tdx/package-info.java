/**
 * A TDX module model: TDs, the Secure EPT (the EPT format of pagetable-engine extended with the S-EPT state
 * bits), the memory SEAMCALLs with their state machine and completion codes, private-memory integrity and
 * TDISP device interfaces for TDX Connect. Built under issue 5; this module is a placeholder until then.
 */
package org.iommuemu.tdx;

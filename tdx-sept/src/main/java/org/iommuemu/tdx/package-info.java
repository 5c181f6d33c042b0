/**
 * A TDX module model (issue 5): TDs with a 48- or 52-bit GPA width, the Secure EPT ({@link
 * org.iommuemu.tdx.SecureEptFormat}: the pagetable-engine EPT format with the S-EPT state bits of {@link
 * org.iommuemu.tdx.SecureEptEntry}, walked by the generic walker), the memory SEAMCALLs with their state machine
 * and completion codes ({@link org.iommuemu.tdx.TdxModule}, {@link org.iommuemu.tdx.TdxStatus}), page ownership
 * ({@link org.iommuemu.tdx.Pamt}), private-memory integrity with machine checks as values ({@link
 * org.iommuemu.tdx.MemoryIntegrity}, {@link org.iommuemu.tdx.MachineCheckRecord}) and TDX Connect TDIs with T-bit
 * DMA routing ({@link org.iommuemu.tdx.TdxConnect}). See docs/tdx.md for the model and every documented choice.
 */
package org.iommuemu.tdx;

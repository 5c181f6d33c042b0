/**
 * Building blocks the IOMMU device models share: {@link org.iommuemu.emulator.device.RegisterFile} (an MMIO
 * register block as a table of offsets, widths, reset values, read-only and write-1-to-clear masks and write
 * hooks) and {@link org.iommuemu.emulator.device.MemoryRing} (the rings in guest memory: AMD-Vi command buffer,
 * event and PPR logs; VT-d invalidation and page-request queues).
 */
package org.iommuemu.emulator.device;

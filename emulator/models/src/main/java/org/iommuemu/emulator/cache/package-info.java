/**
 * The IOMMU's caches: one generic set-associative structure ({@link org.iommuemu.emulator.cache.TranslationCache})
 * used for the IOTLB, micro-TLBs, device-table/context and PASID caches and the per-level walk caches, and
 * one {@link org.iommuemu.emulator.cache.InvalidationDispatcher} that AMD-Vi commands and VT-d descriptors call
 * with typed {@link org.iommuemu.emulator.cache.InvalidationScope}s. Entries stay usable until invalidated,
 * as in hardware: a stale hit after an unmap without invalidation is the point.
 */
package org.iommuemu.emulator.cache;

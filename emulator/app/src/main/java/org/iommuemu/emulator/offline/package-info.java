/**
 * Offline inspection of a real machine's IOMMU state from a memory image and captured register values: the
 * {@code translate} and {@code tables} commands, around {@link org.iommuemu.emulator.platform.IommuPort} models
 * chosen by {@code --iommu} (see {@code IommuKind#factory()}, where each model plugs in). See docs/offline.md.
 */
package org.iommuemu.emulator.offline;

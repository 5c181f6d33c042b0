/**
 * The port between the IOMMU models and everything that feeds them: {@link org.iommuemu.emulator.platform.DmaRequest}
 * in, {@link org.iommuemu.emulator.platform.RequestOutcome} out through an
 * {@link org.iommuemu.emulator.platform.IommuPort}, with faults named by
 * {@link org.iommuemu.emulator.platform.FaultKind}. Replay, the offline translator and co-simulation talk to
 * AMD-Vi and VT-d only through this.
 */
package org.iommuemu.emulator.platform;

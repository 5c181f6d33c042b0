/**
 * Co-simulation over remote-port 4.3 with the iommu-emu extension (docs/protocol.md).
 */
package org.iommuemu.emulator.cosim;

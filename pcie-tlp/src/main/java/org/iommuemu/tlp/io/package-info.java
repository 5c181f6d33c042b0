/**
 * Opening trace files of every supported format: the one place that knows the pcie-tlp pcapng and text formats
 * ({@code trace}), NetTLP captures ({@code nettlp}) and QEMU trace logs ({@code qemu}), above all three so that
 * they depend on {@code trace} and nothing depends back.
 */
package org.iommuemu.tlp.io;

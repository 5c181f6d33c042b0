/** Deterministic synthetic TLP workloads (NIC rings, NVMe PRP lists, random, strided) for {@code trace gen}. */
package org.iommuemu.tlp.gen;

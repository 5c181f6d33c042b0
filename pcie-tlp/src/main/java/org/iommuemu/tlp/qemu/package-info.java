/** Import of QEMU IOMMU trace logs (vtd_* / amdvi_* events) as ATS translation requests and completions. */
package org.iommuemu.tlp.qemu;

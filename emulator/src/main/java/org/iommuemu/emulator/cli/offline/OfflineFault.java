package org.iommuemu.emulator.cli.offline;

import org.iommuemu.emulator.platform.FaultKind;

/** Outcomes of the offline translator that are not architectural faults but limits of the model, named as such. */
enum OfflineFault implements FaultKind
{
    /**
     * The hardware would translate this request through a structure the model does not implement yet (an AMD-Vi
     * request with a PASID to a device whose DTE enables guest (v2/GCR3) translation).
     */
    NOT_MODELLED;

    public String faultName()
    {
        return name();
    }

    public int faultCode()
    {
        return -1;
    }
}

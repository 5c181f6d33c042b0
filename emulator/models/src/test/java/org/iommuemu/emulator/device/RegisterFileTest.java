package org.iommuemu.emulator.device;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class RegisterFileTest
{
    private final RegisterFile file = new RegisterFile("test", 0x100);

    @Test
    void resetValuesAndReadOnlyBits()
    {
        final Register features = file.define("EFR", 0x30, 8, 0x8000_0000_0000_0A1FL, -1L, 0);
        assertEquals(0x8000_0000_0000_0A1FL, file.read(0x30, 8));
        file.write(0x30, 8, 0);
        assertEquals(0x8000_0000_0000_0A1FL, file.read(0x30, 8), "read-only bits ignore writes");
        assertEquals(0x8000_0000L, file.read(0x34, 4), "the high half alone");
        file.setValue(features, 5);
        assertEquals(5, file.value(features), "the model sets hardware state directly");
        file.reset();
        assertEquals(0x8000_0000_0000_0A1FL, file.value(features));
    }

    @Test
    void writeOneToClearAndMixedMasksInOneRegister()
    {
        // Status-like: bits 2:0 RW1C, bits 4:3 read-only (hardware running flags), bit 8 writable.
        final Register status = file.define("STATUS", 0x20, 4, 0, 0x18, 0x7);
        file.setValue(status, 0x1F);
        file.write(0x20, 4, 0x102); // clear bit 1, set bit 8, try to clear RO bit 3 (ignored)
        assertEquals(0x11D, file.value(status));
        file.write(0x20, 4, 0x100); // writing 0 to W1C bits leaves them
        assertEquals(0x11D, file.value(status));
    }

    @Test
    void halfWritesOfA64BitRegisterGoThroughTheSameMasks()
    {
        final Register base = file.define("BASE", 0x08, 8, 0, 0xFFFL | 0xF000_0000_0000_0000L, 0);
        file.write(0x08, 4, 0x1234_5FFFL);      // low half: bits 11:0 read-only
        file.write(0x0C, 4, 0xF900_0000L);      // high half: bits 63:60 read-only
        assertEquals(0x0900_0000_1234_5000L, file.value(base));
        file.write(0x08, 8, 0xFFFF_FFFF_FFFF_FFFFL);
        assertEquals(0x0FFF_FFFF_FFFF_F000L, file.read(0x08, 8));
    }

    @Test
    void hooksSeeOldAndNewValues()
    {
        final List<String> calls = new ArrayList<>();
        file.define("TAIL", 0x40, 8, 0, ~0x7FFF0L, 0, (register, oldValue, newValue) ->
            calls.add(register.name() + " " + Long.toHexString(oldValue) + "->" + Long.toHexString(newValue)));
        file.write(0x40, 8, 0xFFFF_FFFF_FFFF_FFF0L);
        file.write(0x40, 4, 0x10);
        assertEquals(List.of("TAIL 0->7fff0", "TAIL 7fff0->10"), calls);
    }

    @Test
    void undefinedSpaceAndBadAccesses()
    {
        file.define("A", 0x00, 4, 0, 0, 0);
        file.define("B", 0x04, 4, 0, 0, 0);
        assertEquals(0, file.read(0x80, 8));
        file.write(0x80, 4, 1);
        assertEquals(1, file.undefinedReads());
        assertEquals(1, file.undefinedWrites());
        assertThrows(IllegalArgumentException.class, () -> file.read(0x02, 4), "misaligned");
        assertThrows(IllegalArgumentException.class, () -> file.read(0x00, 2), "bad width");
        assertThrows(IllegalArgumentException.class, () -> file.read(0x100, 4), "outside the block");
        assertThrows(IllegalArgumentException.class, () -> file.read(0x00, 8), "spans two 4-byte registers");
        assertThrows(IllegalArgumentException.class, () -> file.define("C", 0x04, 4, 0, 0, 0), "overlap");
        assertThrows(IllegalArgumentException.class, () -> file.define("D", 0x10, 4, 0, 1, 1), "RO and W1C at once");
    }
}

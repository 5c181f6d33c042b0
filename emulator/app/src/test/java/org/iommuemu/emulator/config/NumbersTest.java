package org.iommuemu.emulator.config;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The one number parser: the forms it takes, what it refuses and how it says so. */
class NumbersTest
{
    @Test
    void parsesNumbers()
    {
        assertEquals(4096, Numbers.parseNumber("4096"));
        assertEquals(0x1000, Numbers.parseNumber("0x1000"));
        assertEquals(0x1000, Numbers.parseNumber(" 0X10_00 "));
        assertEquals(-1L, Numbers.parseNumber("0xffffffffffffffff"));
        assertEquals(-1L, Numbers.parseNumber("18446744073709551615"));
        assertEquals(0x10, Numbers.parseNumber("0x00000000000000000010"), "leading zeros do not count against 64 bits");
    }

    @Test
    void refusesWhatIsNotANumber()
    {
        assertMessage(() -> Numbers.parseNumber("-1"), "\"-1\" is not a number (0x hex or decimal)");
        assertMessage(() -> Numbers.parseNumber("+5"), "\"+5\" is not a number (0x hex or decimal)");
        assertMessage(() -> Numbers.parseNumber(""), "\"\" is not a number (0x hex or decimal)");
        assertMessage(() -> Numbers.parseNumber("0x"), "\"0x\" is not a hexadecimal number");
        assertMessage(() -> Numbers.parseNumber("0xq"), "\"0xq\" is not a hexadecimal number");
        assertMessage(() -> Numbers.parseNumber("0x1_0000_0000_0000_0000"), "\"0x1_0000_0000_0000_0000\" is beyond 64 bits");
        assertMessage(() -> Numbers.parseNumber("18446744073709551616"), "\"18446744073709551616\" is beyond 64 bits");
        // Digits of other scripts, which Java's own parsers accept.
        assertMessage(() -> Numbers.parseNumber("\u0661\u0662"), "\"\u0661\u0662\" is not a number (0x hex or decimal)");
    }

    @Test
    void parsesSizes()
    {
        assertEquals(4096, Numbers.parseSize("4K"));
        assertEquals(4096, Numbers.parseSize("4k"));
        assertEquals(2L << 20, Numbers.parseSize("2M"));
        assertEquals(1L << 30, Numbers.parseSize("1G"));
        assertEquals(3L << 40, Numbers.parseSize("3T"));
        assertEquals(16L << 20, Numbers.parseSize("0x10M"));
        assertEquals(0x200000, Numbers.parseSize("0x200000"));
        assertEquals(0, Numbers.parseSize("0"));
        assertMessage(() -> Numbers.parseSize("2X"), "\"2X\" is not a size (0x hex or decimal, or a K/M/G/T size such as 4K)");
        assertMessage(() -> Numbers.parseSize("K"), "\"K\" is not a size (0x hex or decimal, or a K/M/G/T size such as 4K)");
        assertMessage(() -> Numbers.parseSize("20000000T"), "\"20000000T\" is beyond 64 bits");
        assertMessage(() -> Numbers.parse("0xq", "--memory-base"),
            "--memory-base \"0xq\" is not a size (0x hex or decimal, or a K/M/G/T size " +
            "such as 4K)");
    }

    @Test
    void parsesRegisterValuesInHex()
    {
        assertEquals(0x12fe001ffL, Numbers.parseHex("12fe001ff"));
        assertEquals(0x12fe001ffL, Numbers.parseHex("0x12fe001ff"));
        assertMessage(() -> Numbers.parseHex("12g"), "\"12g\" is not a hexadecimal number");
    }

    @Test
    void parsesRequesterIds()
    {
        assertEquals(0x0010, Numbers.parseRequesterId("00:02.0"));
        assertEquals(0x1b00, Numbers.parseRequesterId("1b:00.0"));
        assertEquals(0xffff, Numbers.parseRequesterId("ff:1f.7"));
        assertEquals(0x4100, Numbers.parseRequesterId("0000:41:00.0"));
        assertEquals(0x4100, Numbers.parseRequesterId("0x4100"));
        assertMessage(() -> Numbers.parseRequesterId("16"), "\"16\" is neither a 0x-prefixed requester ID nor a BDF like 00:02.0");
        assertMessage(() -> Numbers.parseRequesterId("0x10000"), "\"0x10000\" is wider than a 16-bit requester ID");
        assertMessage(() -> Numbers.parseRequesterId("0001:00:02.0"),
            "\"0001:00:02.0\": PCI segment 0001 is not 0000 (one IOMMU serves one segment)");
        assertMessage(() -> Numbers.parseRequesterId("00:20.0"), "\"00:20.0\" is out of range (bus 00-ff, device 00-1f, function 0-7)");
        assertMessage(() -> Numbers.parseRequesterId("00:02.8"), "\"00:02.8\" is out of range (bus 00-ff, device 00-1f, function 0-7)");
        assertMessage(() -> Numbers.parseRequesterId("100:02.0"), "\"100:02.0\" is not a BDF like 00:02.0");
        assertMessage(() -> Numbers.parseRequesterId("-1:02.0"), "\"-1:02.0\" is not a BDF like 00:02.0");
        assertEquals("00:02.0", Numbers.bdf(0x0010));
        assertEquals("0x0010", Numbers.requesterId(0x0010));
    }

    private static void assertMessage(final Runnable parse, final String message)
    {
        final NumberFormatException error = assertThrows(NumberFormatException.class, parse::run);
        assertEquals(message, error.getMessage());
        assertTrue(error instanceof Numbers.NumberSyntaxException);
    }
}

package org.iommuemu.emulator.config;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

/** Text from outside shown safely: control characters escaped, under the two policies. */
class PrintableTest
{
    @Test
    void asciiEscapesEverythingOutsidePrintableAsciiAndDoublesBackslashes()
    {
        assertEquals("a\\x0a\\x1b[2J\\\\\\xe9\\ufffd\\u202ez", Printable.ascii("a\n\u001b[2J\\\u00e9\ufffd\u202ez"));
        final String plain = "plain text, no escapes";
        assertSame(plain, Printable.ascii(plain), "nothing to escape: the same string");
    }

    @Test
    void controlsEscapesOnlyControlCharactersAndKeepsTheRestReadable()
    {
        // Tab and line feed stay (messages may have several lines); CR, ESC, DEL, C1 and direction overrides do not.
        assertEquals("t\tl\nc\\x0de\\x1b[0md\\x7fc1\\x9bo\\u202e\\u2066r",
            Printable.controls("t\tl\nc\re\u001b[0md\u007fc1\u009bo\u202e\u2066r"));
        assertEquals("Überprüfung C:\\Spuren\\trace.txt", Printable.controls("Überprüfung C:\\Spuren\\trace.txt"),
            "non-ASCII letters and backslashes in file names stay as they are");
        assertNull(Printable.controls(null));
    }
}

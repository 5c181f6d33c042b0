package org.iommuemu.emulator.replay;

import java.io.StringReader;

import org.iommuemu.emulator.scenario.ScenarioException;
import org.iommuemu.emulator.scenario.ScenarioReader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Scenario texts that must be refused, and where: the replay tests' shared checks of a scenario error. */
final class ScenarioErrors
{
    private ScenarioErrors()
    {
    }

    /**
     * Parsing {@code yaml} fails at the first line containing {@code lineText}, on {@code field}, with a reason
     * containing {@code reasonPart}.
     */
    static void assertError(final String yaml, final String lineText, final String field, final String reasonPart)
    {
        final ScenarioException error = assertThrows(ScenarioException.class,
            () -> ScenarioReader.parse(new StringReader(yaml), "bad.yaml", null), field);
        assertEquals(lineOf(yaml, lineText), error.line(), error.getMessage());
        assertEquals(field, error.fieldPath(), error.getMessage());
        assertTrue(error.reason().contains(reasonPart), error.getMessage());
    }

    /** The 1-based line of the first line containing {@code text}. */
    static int lineOf(final String yaml, final String text)
    {
        final String[] lines = yaml.split("\n", -1);
        for (int i = 0; i < lines.length; i++)
        {
            if (lines[i].contains(text))
            {
                return i + 1;
            }
        }
        throw new AssertionError("no line with " + text);
    }
}

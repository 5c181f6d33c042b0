package org.iommuemu.emulator.cosim.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;

/** docs/results.schema.json (networknt's validator, draft 2020-12), for the session JSON that serve writes. */
final class ResultsSchema
{
    private static Schema schema;

    private ResultsSchema()
    {
    }

    /** The validation errors of {@code document}; empty when it is valid. */
    static synchronized List<String> validate(final JsonNode document)
    {
        if (schema == null)
        {
            final Path file = Path.of("../../docs/results.schema.json");
            try (InputStream in = Files.newInputStream(file))
            {
                schema = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(in);
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException("run from the module folder: " + file.toAbsolutePath(), ex);
            }
        }
        final List<String> messages = new ArrayList<>();
        for (final Error error : schema.validate(document))
        {
            messages.add(error.toString());
        }
        return messages;
    }
}

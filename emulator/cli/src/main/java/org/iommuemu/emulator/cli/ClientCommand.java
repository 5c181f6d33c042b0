package org.iommuemu.emulator.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;

import org.iommuemu.emulator.config.Numbers;
import org.iommuemu.emulator.cosim.FaultFamily;
import org.iommuemu.emulator.cosim.client.CosimClient;
import org.iommuemu.emulator.cosim.codec.Ats;
import org.iommuemu.emulator.cosim.codec.TlpResponse;
import org.iommuemu.emulator.cosim.wire.AtsLayout;
import org.iommuemu.emulator.cosim.wire.RemotePort;
import org.iommuemu.emulator.cosim.wire.TlpCommandLayout;
import org.iommuemu.emulator.cosim.wire.TranslateWords;
import org.iommuemu.emulator.platform.FaultKind;
import org.iommuemu.emulator.replay.TrafficClass;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code client}: poke a running {@code serve} by hand, as a QEMU peer would (docs/protocol.md). */
@Command(
    name = "client",
    header = "Talk to a running serve: registers, translations, TLPs.",
    mixinStandardHelpOptions = true,
    description = {
        "Connect to a running 'serve' and read or write a register, translate an address, send a raw TLP, or print the",
        "session's statistics. Each invocation is a session of its own (its own platform on the server).",
        "Examples: client read 0x18 --width 8          client write 0x18 0x1015 --width 8",
        "          client translate --requester 01:00.0 0x100000000 --write",
        "          client tlp 20000001010000ff000000010000000      client stats"},
    subcommands = {ClientCommand.Read.class, ClientCommand.Write.class, ClientCommand.Translate.class, ClientCommand.Tlp.class,
        ClientCommand.StatsCommand.class})
final class ClientCommand
{
    @Option(names = "--connect", paramLabel = "ADDRESS", scope = picocli.CommandLine.ScopeType.INHERIT,
        description = "tcp:HOST:PORT or unix:PATH. Default tcp:127.0.0.1:7575.")
    String connect = "tcp:127.0.0.1:7575";

    @Option(names = "--mmio-channel", paramLabel = "DEV", scope = picocli.CommandLine.ScopeType.INHERIT,
        description = "The server's MMIO channel. Default 1.")
    int mmioChannel = 1;

    @Option(names = "--translation-channel", paramLabel = "DEV", scope = picocli.CommandLine.ScopeType.INHERIT,
        description = "The server's translation channel. Default 4.")
    int translationChannel = 4;

    @Option(names = "--tlp-channel", paramLabel = "DEV", scope = picocli.CommandLine.ScopeType.INHERIT,
        description = "The server's TLP channel. Default 5.")
    int tlpChannel = 5;

    CosimClient open() throws IOException
    {
        final CosimClient.Options options = new CosimClient.Options();
        options.mmioChannel = mmioChannel;
        options.translationChannel = translationChannel;
        options.tlpChannel = tlpChannel;
        return CosimClient.connect(connect, options);
    }

    abstract static class Sub implements Callable<Integer>
    {
        @ParentCommand
        ClientCommand parent;

        @Spec
        CommandSpec spec;

        public Integer call() throws IOException
        {
            validate();
            try (CosimClient client = parent.open())
            {
                return run(client, spec.commandLine().getOut());
            }
        }

        abstract int run(CosimClient client, PrintWriter out);

        /** Check the arguments before connecting. */
        void validate()
        {
        }
    }

    @Command(name = "read", mixinStandardHelpOptions = true, description = "Read a register: OFFSET from the MMIO base.")
    static final class Read extends Sub
    {
        @Parameters(paramLabel = "OFFSET")
        String offset;

        @Option(names = "--width", paramLabel = "BYTES", description = "4 or 8. Default 4.")
        int width = 4;

        int run(final CosimClient client, final PrintWriter out)
        {
            out.println(Numbers.hex(client.mmioRead(Numbers.parse(offset, "OFFSET"), width)));
            return 0;
        }
    }

    @Command(name = "write", mixinStandardHelpOptions = true, description = "Write a register and wait for the answer.")
    static final class Write extends Sub
    {
        @Parameters(index = "0", paramLabel = "OFFSET")
        String offset;

        @Parameters(index = "1", paramLabel = "VALUE")
        String value;

        @Option(names = "--width", paramLabel = "BYTES", description = "4 or 8. Default 4.")
        int width = 4;

        int run(final CosimClient client, final PrintWriter out)
        {
            final int code = client.mmioWrite(Numbers.parse(offset, "OFFSET"), width, Numbers.parse(value, "VALUE"));
            out.println(code == RemotePort.RESP_OK ? "ok" : "response code " + code);
            return code == RemotePort.RESP_OK ? 0 : 1;
        }
    }

    @Command(name = "translate", mixinStandardHelpOptions = true, description = "Translate an address (ATS_REQ with the extension).")
    static final class Translate extends Sub
    {
        @Parameters(paramLabel = "ADDRESS")
        String address;

        @Option(names = "--requester", paramLabel = "BDF", description = "Requester ID (00:02.0 or 0x10). Default 0.")
        String requester = "0";

        @Option(names = "--write", description = "A write (default: a read).")
        boolean write;

        @Option(names = "--exec", description = "Execute requested.")
        boolean exec;

        @Option(names = "--pasid", paramLabel = "N", description = "With a PASID.")
        Integer pasid;

        @Option(names = "--privileged", description = "Privileged Mode Requested.")
        boolean privileged;

        @Option(names = "--t", description = "The TDISP T bit.")
        boolean trusted;

        @Option(names = "--at", paramLabel = "AT", description = "0 untranslated (default), 1 ATS translation request, 2 translated.")
        int at;

        int run(final CosimClient client, final PrintWriter out)
        {
            final CosimClient.Translation t = new CosimClient.Translation(Numbers.parseRequesterId(requester),
                pasid == null ? -1 : pasid, Numbers.parse(address, "ADDRESS"), 4, !write, write, exec, privileged, trusted, at);
            final Ats answer = client.translate(t);
            final long word = answer.reserved(0);
            if (answer.result() == AtsLayout.RESULT_OK)
            {
                out.printf("0x%x len 0x%x %s%s%s page 2^%d%s%n", answer.address(), answer.length(),
                    (answer.attributes() & AtsLayout.ATTR_READ) != 0 ? "r" : "-",
                    (answer.attributes() & AtsLayout.ATTR_WRITE) != 0 ? "w" : "-",
                    (answer.attributes() & AtsLayout.ATTR_EXEC) != 0 ? "x" : "-", TranslateWords.outcomePageSizeLg2(word),
                    TranslateWords.outcomeIotlbHit(word) ? " (iotlb hit)" : "");
                return 0;
            }
            final FaultKind fault = FaultFamily.kind(TranslateWords.outcomeFamily(word), TranslateWords.outcomeFaultCode(word));
            out.println("fault " + (fault == null ? "(no translation)" : fault.faultName()) +
                (TranslateWords.outcomeRecorded(word) ? " (logged)" : ""));
            return 1;
        }
    }

    @Command(name = "tlp", mixinStandardHelpOptions = true, description = "Send a TLP's wire bytes (hex) and print the replay outcome.")
    static final class Tlp extends Sub
    {
        @Parameters(paramLabel = "HEX", description = "The TLP, prefixes first, as hex digits (spaces and _ allowed).")
        String[] hex;

        @Option(names = "--t", description = "Out-of-band T bit (a pcapng pseudo-header's).")
        boolean trusted;

        private byte[] bytes;

        void validate()
        {
            final String digits = String.join("", hex).replace("_", "").replace(" ", "");
            if ((digits.length() & 1) != 0 || !digits.matches("[0-9a-fA-F]+"))
            {
                throw new IllegalArgumentException("TLP \"" + String.join(" ", hex) + "\" is not an even number of hex digits");
            }
            bytes = new byte[digits.length() / 2];
            for (int i = 0; i < bytes.length; i++)
            {
                bytes[i] = (byte)Integer.parseInt(digits.substring(2 * i, 2 * i + 2), 16);
            }
        }

        int run(final CosimClient client, final PrintWriter out)
        {
            final TlpResponse r = client.tlp(bytes, trusted ? TlpCommandLayout.FLAG_T_VALID | TlpCommandLayout.FLAG_T : 0);
            if (r.outcome == TlpCommandLayout.OUTCOME_TLP_ERROR)
            {
                out.println("not decoded: " + r.name + " at byte " + r.tlpErrorOffset);
                return 1;
            }
            final String kind = TrafficClass.values()[r.trafficClass].label();
            if (r.outcome == TlpCommandLayout.OUTCOME_NOT_TRANSLATED)
            {
                out.println(kind + ": not translated");
                return 0;
            }
            out.printf("%s requester 0x%04x address 0x%x: %s%n", kind, r.requesterId, r.address, r.outcome == TlpCommandLayout.OUTCOME_OK ?
                String.format("ok 0x%x page 2^%d, %d cycles%s", r.outputAddress, r.pageSizeLg2, r.latencyCycles,
                    r.iotlbHit() ? " (iotlb hit)" : "") :
                "fault " + r.name + ((r.resultFlags & TlpCommandLayout.RESULT_RECORDED) != 0 ? " (logged)" : "") + ", " +
                    r.latencyCycles + " cycles");
            return r.outcome == TlpCommandLayout.OUTCOME_OK ? 0 : 1;
        }
    }

    @Command(name = "stats", mixinStandardHelpOptions = true, description = "Print this session's statistics.")
    static final class StatsCommand extends Sub
    {
        int run(final CosimClient client, final PrintWriter out)
        {
            out.print(client.stats());
            return 0;
        }
    }
}

// chatd: the daemon executable. Everything happens in ChatdCommand.run(); `chatd ctl …`
// administers a running daemon (CtlCommand).

import ArgumentParser

if CommandLine.arguments.count > 1 && CommandLine.arguments[1] == "ctl" {
    CtlCommand.main(Array(CommandLine.arguments.dropFirst(2)))
} else {
    ChatdCommand.main()
}

// chatd: the daemon executable. Everything happens in ChatdCommand.run().

import ArgumentParser

ChatdCommand.main()

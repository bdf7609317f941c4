import ArgumentParser

ClientCommand.main()

from churnlab.cli.main import main

main()

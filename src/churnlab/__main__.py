from churnlab.cli import main

main()

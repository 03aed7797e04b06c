from ministudio.cli import main

main()

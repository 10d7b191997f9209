from asbtui.cli import main

main()
